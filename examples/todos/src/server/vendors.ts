import { createAblyTokenHandler } from '@patchbay/realtime-ably/server';
import { createPusherAuthHandler } from '@patchbay/realtime-pusher/server';
import { signSupabaseToken } from '@patchbay/realtime-supabase/server';
import * as Ably from 'ably';
import Pusher from 'pusher';
import { userFromRequest } from './identity';

type Handler = (request: Request) => Promise<Response>;
const KEY = Symbol.for('patchbay.todos.vendors');
const store = globalThis as typeof globalThis & { [KEY]?: { pusher?: Handler; ably?: Handler } };
store[KEY] ??= {};
const handlers = store[KEY];

function env(name: string, what: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: it is ${what}. \`pnpm dev\` sets it for the emulator.`);
  return value;
}

/**
 * Pusher's auth endpoint (channel and user signatures), signed with the app secret, which never
 * leaves the server. The identity is the session's (the `todos-user` cookie), not the request's.
 */
export function pusherAuthHandler(): Handler {
  handlers.pusher ??= createPusherAuthHandler({
    pusher: new Pusher({
      appId: env('PUSHER_APP_ID', 'the Pusher app id'),
      key: env('PUSHER_KEY', 'the Pusher app key'),
      secret: env('PUSHER_SECRET', 'the Pusher app secret'),
      ...(process.env.PUSHER_HOST
        ? { host: process.env.PUSHER_HOST, port: process.env.PUSHER_PORT ?? '80', useTLS: false }
        : { cluster: env('PUSHER_CLUSTER', 'the Pusher cluster'), useTLS: true }),
    }),
    authenticate: (_token, request) => {
      const user = userFromRequest(request);
      return user ? { userId: user } : null;
    },
  });
  return handlers.pusher;
}

/** Ably's token endpoint: signed token requests for the session's user; the key stays here. */
export function ablyTokenHandler(): Handler {
  handlers.ably ??= createAblyTokenHandler({
    rest: new Ably.Rest({
      key: env('ABLY_API_KEY', 'an Ably API key'),
      ...(process.env.ABLY_CLIENT_OPTIONS
        ? (JSON.parse(process.env.ABLY_CLIENT_OPTIONS) as Ably.ClientOptions)
        : {}),
    }),
    authenticate: (request) => {
      const user = userFromRequest(request);
      return user ? { clientId: user } : null;
    },
  });
  return handlers.ably;
}

/**
 * A Supabase access token for the session's user (`sub` = the user name), signed with the
 * project's JWT secret: what Supabase Auth would issue. With Supabase Auth, return the session's
 * `access_token` instead and drop the secret.
 */
export async function supabaseTokenHandler(request: Request): Promise<Response> {
  const user = userFromRequest(request);
  if (!user) return new Response('No user: open the page with ?user=<name>.', { status: 401 });
  const token = await signSupabaseToken({
    jwtSecret: env('SUPABASE_JWT_SECRET', "the project's JWT secret"),
    userId: user,
  });
  return new Response(token, { headers: { 'cache-control': 'no-store' } });
}
