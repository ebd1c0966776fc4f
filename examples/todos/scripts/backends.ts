import { randomBytes } from 'node:crypto';
import { createHubServer } from '@patchbay/realtime-server';
import type { Provider } from '../realtime.config';

/** What a provider needs running beside the Next.js app, and the environment that points the app at it. */
export interface Backend {
  provider: Provider;
  /** For the Next.js process: PATCHBAY_PROVIDER plus the provider's addresses and secrets. */
  env: Record<string, string>;
  /** One line for the terminal: what runs where. */
  describe: string;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** 0 picks free ports (tests). Default: the provider's usual development port. */
  port?: number;
}

/**
 * `sse` needs nothing (the hub is inside the app). `socketio` starts the hub process's server
 * here; `pusher` and `ably` start the local emulators unless the real service's credentials are
 * in the environment.
 */
export async function startBackend(
  provider: Provider,
  options: BackendOptions = {},
): Promise<Backend> {
  switch (provider) {
    case 'sse':
      return {
        provider,
        env: { PATCHBAY_PROVIDER: 'sse' },
        describe: 'Patchbay hub (SSE) inside the Next.js app at /patchbay/sse',
        close: async () => {},
      };
    case 'socketio': {
      // A hub you run yourself (`patchbay-server --publish-secret …`), or one started here.
      if (process.env.PATCHBAY_HUB_URL && process.env.PATCHBAY_PUBLISH_SECRET) {
        return passThrough(provider, `the Patchbay hub at ${process.env.PATCHBAY_HUB_URL}`);
      }
      const publishSecret = randomBytes(24).toString('hex');
      const server = await createHubServer({
        port: options.port ?? 8787,
        presenceGraceMs: 3_000,
        publishSecret,
        // Development identity: the token is the user name the page chose.
        authenticate: ({ token }) => (token ? { clientId: token } : null),
        // Development only: the pages are served from another port, so any origin may connect.
        allowedOrigins: true,
      });
      return {
        provider,
        env: {
          PATCHBAY_PROVIDER: 'socketio',
          PATCHBAY_HUB_URL: server.url,
          PATCHBAY_PUBLISH_SECRET: publishSecret,
        },
        describe: `Patchbay hub (Socket.IO) on ${server.url}`,
        close: () => server.close(),
      };
    }
    case 'pusher': {
      if (process.env.PUSHER_APP_ID && process.env.PUSHER_SECRET && process.env.PUSHER_KEY) {
        return passThrough(provider, 'the real Pusher service (PUSHER_* credentials)');
      }
      const { createPusherEmulator } = await import('@patchbay/realtime-testkit/pusher');
      const emulator = await createPusherEmulator({
        appId: 'patchbay-todos',
        key: 'patchbay-todos-key',
        secret: 'patchbay-todos-secret',
        port: options.port ?? 6001,
      });
      const server = emulator.serverOptions();
      return {
        provider,
        env: {
          PATCHBAY_PROVIDER: 'pusher',
          PUSHER_APP_ID: server.appId,
          PUSHER_KEY: server.key,
          PUSHER_SECRET: server.secret,
          PUSHER_HOST: server.host,
          PUSHER_PORT: server.port,
          PUSHER_CLIENT_OPTIONS: JSON.stringify(emulator.clientOptions()),
        },
        describe: `Pusher emulator on ${emulator.url} (for tests and offline development only)`,
        close: () => emulator.close(),
      };
    }
    case 'ably': {
      if (process.env.ABLY_API_KEY) {
        return passThrough(provider, 'the real Ably service (ABLY_API_KEY)');
      }
      const { createAblyEmulator } = await import('@patchbay/realtime-testkit/ably');
      const emulator = await createAblyEmulator({ port: options.port ?? 8081 });
      const { key, ...connection } = emulator.clientOptions();
      return {
        provider,
        env: {
          PATCHBAY_PROVIDER: 'ably',
          ABLY_API_KEY: key,
          ABLY_CLIENT_OPTIONS: JSON.stringify(connection),
        },
        describe: `Ably emulator on ${emulator.url} (for tests and offline development only)`,
        close: () => emulator.close(),
      };
    }
    case 'supabase':
      return startSupabase(options);
  }
}

async function startSupabase(options: BackendOptions): Promise<Backend> {
  const { SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_KEY, SUPABASE_JWT_SECRET } =
    process.env;
  if (SUPABASE_URL && SUPABASE_ANON_KEY && SUPABASE_SERVICE_KEY && SUPABASE_JWT_SECRET) {
    return passThrough('supabase', `the Supabase project at ${SUPABASE_URL}`);
  }
  const { createSupabaseEmulator } = await import('@patchbay/realtime-testkit/supabase');
  const emulator = await createSupabaseEmulator({ port: options.port ?? 54321 });
  return {
    provider: 'supabase',
    env: {
      PATCHBAY_PROVIDER: 'supabase',
      SUPABASE_URL: emulator.httpUrl,
      SUPABASE_ANON_KEY: emulator.anonKey,
      SUPABASE_SERVICE_KEY: emulator.serviceKey,
      SUPABASE_JWT_SECRET: emulator.jwtSecret,
    },
    describe: `Supabase Realtime emulator on ${emulator.httpUrl} (for tests and offline development only)`,
    close: () => emulator.close(),
  };
}

function passThrough(provider: Provider, describe: string): Backend {
  return { provider, env: { PATCHBAY_PROVIDER: provider }, describe, close: async () => {} };
}
