import { createAblyTokenHandler } from '@patchbay/realtime-ably/server';
import { createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import type { Backend, BackendOptions } from './backends.js';
import { serveFetchHandler } from './fetchEndpoint.js';

/**
 * Ably for the example: the local emulator, or the real service when ABLY_API_KEY is set. Either
 * way the page never sees the key: it fetches short-lived token requests from a token endpoint.
 */
export async function startAblyBackend(options: BackendOptions): Promise<Backend> {
  const realKey = process.env.ABLY_API_KEY;
  const emulator = realKey ? undefined : await createAblyEmulator({ port: options.port ?? 8081 });
  const { key: _key, ...connection } = emulator?.clientOptions() ?? { key: realKey as string };
  const rest = new Ably.Rest(emulator ? emulator.clientOptions() : { key: realKey as string });
  const tokens = await serveFetchHandler(
    createAblyTokenHandler({
      rest,
      // Development identity: the page says who it is. Use your session here in a real app.
      authenticate: (request) => {
        const user = new URL(request.url).searchParams.get('user');
        return user ? { clientId: user } : null;
      },
    }),
    options.port === 0 ? 0 : (options.port ?? 8081) + 1,
  );
  return {
    provider: 'ably',
    browserConfig: { provider: 'ably', clientOptions: connection },
    tokenUrl: `${tokens.url}/token`,
    describe: emulator
      ? `Ably emulator on ${emulator.url} (for tests and offline development only), token endpoint ${tokens.url}/token`
      : `the real Ably service (ABLY_API_KEY), token endpoint ${tokens.url}/token`,
    stop: async () => {
      await emulator?.stop();
    },
    start: async () => {
      await emulator?.start();
    },
    close: async () => {
      await tokens.close();
      await emulator?.close();
    },
  };
}
