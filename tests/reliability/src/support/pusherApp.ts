import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import {
  createPusherAuthHandler,
  createPusherPublishHandler,
  type PusherAuthenticate,
  type PusherAuthorize,
} from '@patchbay/realtime-pusher/server';
import type PusherServer from 'pusher';

export interface PusherAppServer {
  /** `http://127.0.0.1:port`: `/pusher/auth` and `/pusher/publish`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The app's own server for Pusher: Patchbay's web-standard auth and publish handlers from
 * `/server`, mounted on Node the way a Next.js route handler runs, on 127.0.0.1 port 0.
 */
export async function startPusherAppServer(options: {
  pusher: PusherServer;
  authenticate: PusherAuthenticate;
  authorize?: PusherAuthorize;
}): Promise<PusherAppServer> {
  const auth = createPusherAuthHandler(options);
  const publish = createPusherPublishHandler(options);
  const app = createServer(
    getRequestListener(
      (request) =>
        (new URL(request.url).pathname.startsWith('/pusher/auth') ? auth : publish)(request),
      { overrideGlobalObjects: false },
    ) as RequestListener,
  );
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    close: async () => {
      app.closeAllConnections();
      await new Promise<void>((resolve) => app.close(() => resolve()));
    },
  };
}
