import { createSupabasePublishHandler } from '@patchbay/realtime-supabase/server';
import { createSupabaseEmulator } from '@patchbay/realtime-testkit/supabase';
import type { Backend, BackendOptions } from './backends.js';
import { serveFetchHandler } from './fetchEndpoint.js';
import { MessageLog } from './messageLog.js';

/**
 * Supabase Realtime for the example: the local emulator (for tests and offline development only).
 * The page gets a JWT for its user from the token endpoint (`sub` = the user name, signed with the
 * project's JWT secret), as it would get a session token from Supabase Auth.
 *
 * Broadcast keeps no history, so this app server keeps it, as with Pusher: pages publish through
 * its publish endpoint (`createSupabasePublishHandler`), which records each message before it
 * broadcasts it, and a page refetches from `/history` on join and after a `discontinuity`.
 */
export async function startSupabaseBackend(options: BackendOptions): Promise<Backend> {
  const emulator = await createSupabaseEmulator({ port: options.port ?? 54321 });
  const history = new MessageLog();
  // Development identity: the tokens this server issued, by user. With Supabase Auth, verify the
  // session's JWT instead (e.g. jose's jwtVerify with the project's JWT secret).
  const issued = new Map<string, string>();
  const publish = createSupabasePublishHandler({
    url: emulator.httpUrl,
    serviceKey: emulator.serviceKey,
    authenticate: (token) => {
      const user = token ? issued.get(token) : undefined;
      return user ? { userId: user } : null;
    },
    onPublish: (message) => history.add(message.channel, message),
  });
  const app = await serveFetchHandler(
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname === '/history') {
        return Response.json(history.list(url.searchParams.get('channel') ?? ''));
      }
      if (url.pathname === '/publish') return publish(request);
      // Development identity: the page says who it is. Use your Supabase Auth session instead.
      const user = url.searchParams.get('user');
      if (!user) return new Response('Say who you are: ?user=<name>', { status: 401 });
      const token = await emulator.signToken({ sub: user });
      issued.set(token, user);
      return new Response(token, { headers: { 'cache-control': 'no-store' } });
    },
    options.port === 0 ? 0 : (options.port ?? 54321) + 1,
  );
  return {
    provider: 'supabase',
    browserConfig: {
      provider: 'supabase',
      url: emulator.httpUrl,
      apiKey: emulator.anonKey,
      publishEndpoint: `${app.url}/publish`,
    },
    tokenUrl: `${app.url}/token`,
    historyUrl: `${app.url}/history`,
    describe: `Supabase Realtime emulator on ${emulator.httpUrl} (for tests and offline development only), token, publish and history endpoints on ${app.url}`,
    stop: async () => {
      await emulator.stop();
    },
    start: async () => {
      await emulator.start();
    },
    close: async () => {
      await app.close();
      await emulator.close();
    },
  };
}
