import {
  createPusherAuthHandler,
  createPusherPublishHandler,
} from '@patchbay/realtime-pusher/server';
import { createPusherEmulator } from '@patchbay/realtime-testkit/pusher';
import Pusher from 'pusher';
import type { Backend, BackendOptions } from './backends.js';
import { serveFetchHandler } from './fetchEndpoint.js';
import { MessageLog } from './messageLog.js';

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
  // Pusher keeps no history, so this app server does: every accepted publish is recorded, and the
  // page refetches from here when its channel reports a discontinuity (the reconnect pattern).
  const history = new MessageLog();
  const recordingPublish = async (request: Request): Promise<Response> => {
    const body = (await request
      .clone()
      .json()
      .catch(() => undefined)) as { channel?: string; event?: string; data?: unknown } | undefined;
    const response = await publish(request);
    if (response.ok && body?.channel && body.event) {
      const accepted = (await response.clone().json()) as { id: string; timestamp: number };
      const user = request.headers.get('authorization')?.replace(/^Bearer\s+/i, '');
      history.add(body.channel, {
        id: accepted.id,
        channel: body.channel,
        event: body.event,
        data: body.data,
        timestamp: accepted.timestamp,
        ...(user ? { clientId: user } : {}),
      });
    }
    return response;
  };
  const app = await serveFetchHandler(
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/pusher/auth')) return auth(request);
      if (url.pathname === '/history') {
        return Response.json(history.list(url.searchParams.get('channel') ?? ''));
      }
      return recordingPublish(request);
    },
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
    historyUrl: `${app.url}/history`,
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
