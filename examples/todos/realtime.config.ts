import type { RealtimeConfig } from '@patchbay/realtime-core/config';

export type Provider = 'sse' | 'socketio' | 'pusher' | 'ably' | 'supabase';
export const providers: readonly Provider[] = ['sse', 'socketio', 'pusher', 'ably', 'supabase'];

/**
 * The one line that picks the realtime provider for this app (clients and the server's publisher
 * alike). Override it per run with PATCHBAY_PROVIDER=sse|socketio|pusher|ably|supabase.
 *
 * - `sse`: the Patchbay hub runs inside this Next.js app (a route handler); nothing else to start.
 * - `socketio`: the Patchbay hub process (`pnpm dev` starts one; PATCHBAY_HUB_URL points elsewhere).
 * - `pusher`, `ably`, `supabase`: the local emulators (`pnpm dev` starts them) or the real services when their
 *   credentials are set (see README.md).
 */
export const provider: Provider = 'sse';

export function selectedProvider(env: NodeJS.ProcessEnv = process.env): Provider {
  const chosen = env.PATCHBAY_PROVIDER ?? provider;
  if (!(providers as readonly string[]).includes(chosen)) {
    throw new Error(
      `PATCHBAY_PROVIDER must be one of ${providers.join(', ')}; got "${chosen}". Unset it to use realtime.config.ts.`,
    );
  }
  return chosen as Provider;
}

/**
 * The client config for the chosen provider: data only, shipped to the browser (no secrets).
 * `origin` is this app's own URL (the SSE hub and the auth endpoints live here).
 */
export function realtimeConfig(
  origin: string,
  env: NodeJS.ProcessEnv = process.env,
): RealtimeConfig {
  switch (selectedProvider(env)) {
    case 'sse':
      return { provider: 'sse', url: origin };
    case 'socketio':
      return { provider: 'socketio', url: env.PATCHBAY_HUB_URL ?? 'http://127.0.0.1:8787' };
    case 'pusher':
      return {
        provider: 'pusher',
        key: required(env, 'PUSHER_KEY', 'the Pusher app key'),
        authEndpoint: `${origin}/api/pusher/auth`,
        // The emulator's wsHost/wsPort (set by `pnpm dev`), or the real service's cluster.
        ...(env.PUSHER_CLIENT_OPTIONS
          ? { pusherOptions: JSON.parse(env.PUSHER_CLIENT_OPTIONS) as Record<string, unknown> }
          : { cluster: required(env, 'PUSHER_CLUSTER', 'the Pusher cluster, e.g. eu') }),
      };
    case 'ably':
      return {
        provider: 'ably',
        authUrl: `${origin}/api/ably/token`,
        // The emulator's endpoint (set by `pnpm dev`); the real service needs nothing here.
        ...(env.ABLY_CLIENT_OPTIONS
          ? { clientOptions: JSON.parse(env.ABLY_CLIENT_OPTIONS) as Record<string, unknown> }
          : {}),
      };
    case 'supabase':
      return {
        provider: 'supabase',
        url: required(env, 'SUPABASE_URL', 'your project URL, e.g. https://<ref>.supabase.co'),
        apiKey: required(env, 'SUPABASE_ANON_KEY', "your project's anon (publishable) key"),
      };
  }
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: it is ${what}. Set it, or run \`pnpm dev\` to start the local emulator.`,
    );
  }
  return value;
}
