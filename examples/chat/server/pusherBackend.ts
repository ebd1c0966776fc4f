import {
  createPusherAuthHandler,
  createPusherPublishHandler,
} from '@patchbay/realtime-pusher/server';
import { createPusherEmulator } from '@patchbay/realtime-testkit/pusher';
import Pusher from 'pusher';
import type { Backend, BackendOptions } from './backends.js';
import { serveFetchHandler } from './fetchEndpoint.js';

/**
 * Pusher for the example: the local emulator, or the real service when PUSHER_APP_ID,
 * PUSHER_KEY, PUSHER_SECRET and PUSHER_CLUSTER are set. Either way the app server part — the
 * auth endpoint and the publish endpoint from `@patchbay/realtime-pusher/server` — runs here.
 */
export async function startPusherBackend(options: BackendOptions): Promise<Backend> {
  const real = realCredentials();
  const emulator = real
    ? undefined
    : await createPusherEmulator({
        appId: 'patchbay-chat',
        key: 'patchbay-chat-key',
        secret: 'patchbay-chat-secret',
        port: options.port ?? 6001,
      });
  const pusher = new Pusher(emulator ? emulator.serverOptions() : real!);
  // Development identity: the page's token is the user name. Verify your session here instead.
  const authenticate = (token: string | undefined) => (token ? { userId: token } : null);
  const auth = createPusherAuthHandler({ pusher, authenticate });
  const publish = createPusherPublishHandler({ pusher, authenticate });
  const app = await serveFetchHandler(
    (request) =>
      new URL(request.url).pathname.startsWith('/pusher/auth') ? auth(request) : publish(request),
    options.port === 0 ? 0 : (options.port ?? 6001) + 1,
  );
  return {
    provider: 'pusher',
    browserConfig: {
      provider: 'pusher',
      key: emulator ? emulator.key : (real as { key: string }).key,
      authEndpoint: `${app.url}/pusher/auth`,
      publishEndpoint: `${app.url}/pusher/publish`,
      ...(emulator
        ? { pusherOptions: { ...emulator.clientOptions() } }
        : { cluster: (real as { cluster: string }).cluster }),
    },
    describe: emulator
      ? `Pusher emulator on ${emulator.url} (for tests and offline development only), auth and publish endpoints on ${app.url}`
      : `the real Pusher service (PUSHER_* credentials), auth and publish endpoints on ${app.url}`,
    stop: async () => {
      await emulator?.stop();
    },
    start: async () => {
      await emulator?.start();
    },
    close: async () => {
      await app.close();
      await emulator?.close();
    },
  };
}

function realCredentials():
  | { appId: string; key: string; secret: string; cluster: string }
  | undefined {
  const {
    PUSHER_APP_ID: appId,
    PUSHER_KEY: key,
    PUSHER_SECRET: secret,
    PUSHER_CLUSTER: cluster,
  } = process.env;
  return appId && key && secret && cluster ? { appId, key, secret, cluster } : undefined;
}
