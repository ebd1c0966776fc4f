import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import {
  type ConformanceHarness,
  createAuthRules,
  createSubscribeRefusals,
  createTcpProxy,
  type TcpProxy,
} from '@patchbay/realtime-testkit';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import { type PusherTransportOptions, pusherTransport } from './pusherTransport.js';
import {
  createPusherAuthHandler,
  createPusherPublishHandler,
  publishFromServer,
} from './server/index.js';

const APP = { appId: '4242', key: 'patchbay-key', secret: 'patchbay-secret' };

export interface PusherHarnessOptions {
  /** Publish through the app's publish endpoint (acks) or as client events (no acks). */
  publish: 'endpoint' | 'client-events';
  transport?: Partial<PusherTransportOptions>;
  /** Client events Pusher lets each connection send per second (the emulator and the transport). */
  clientEventsPerSecond?: number;
}

interface ClientLink {
  /** The client's HTTP to the app server hangs (half-open network) once set. */
  blackholed: boolean;
  /** The client's own network to the emulator, for `interruptLink`. */
  proxy: TcpProxy;
}

/**
 * Test-only: the real pusher-js client and the real `pusher` SDK against the Pusher emulator,
 * plus an app server (auth + publish handlers from `/server`) on 127.0.0.1, port 0. Each client's
 * websocket goes through its own TCP proxy, so one client's network can be taken away.
 */
export function createPusherHarness(options: PusherHarnessOptions): ConformanceHarness {
  const authRules = createAuthRules();
  const rejected = authRules.rejects;
  // Every subscribe to `private-<channel>` first asks the app's auth endpoint, which counts it.
  const refusals = createSubscribeRefusals();
  let emulator: PusherEmulator | undefined;
  let pusher: PusherServer | undefined;
  let app: Server | undefined;
  let appUrl = '';
  const links = new WeakMap<RealtimeClient, ClientLink>();
  const proxies = new Set<TcpProxy>();
  const live = () => {
    if (!emulator || !pusher) throw new Error('The harness is not set up.');
    return { emulator, pusher };
  };
  const authenticate = (token: string | undefined) => {
    const id = token?.split('.')[0];
    return id && !rejected(id, undefined, 'connect') ? { userId: id } : null;
  };
  const authorize = ({
    userId,
    channel,
    action,
  }: {
    userId: string;
    channel: string;
    action: string;
  }) => {
    if (action === 'subscribe') {
      if (refusals.refuse(channel)) {
        // The auth endpoint then answers 500, and pusher-js reports `pusher:subscription_error`
        // with that status: Pusher's refusal of a subscribe when the app's endpoint fails.
        throw new Error('the permissions store is unavailable (refuseSubscribes)');
      }
    }
    return !rejected(userId, channel, action);
  };
  const socketOf = (client: RealtimeClient) => {
    const { connectionId } = client.connection.getSnapshot();
    if (!connectionId) throw new Error('That client has no live Pusher socket.');
    return connectionId;
  };

  return {
    linkMode: 'persistent',
    setup: async () => {
      emulator = await createPusherEmulator({
        ...APP,
        port: 0,
        ...(options.clientEventsPerSecond
          ? { clientEventsPerSecond: options.clientEventsPerSecond }
          : {}),
      });
      pusher = new PusherServer(emulator.serverOptions());
      const auth = createPusherAuthHandler({ pusher, authenticate, authorize });
      const publish = createPusherPublishHandler({ pusher, authenticate, authorize });
      app = createServer(appListener(auth, publish));
      await new Promise<void>((resolve) => app?.listen(0, '127.0.0.1', resolve));
      appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    },
    teardown: async () => {
      const server = app;
      app = undefined;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await Promise.all([...proxies].map((proxy) => proxy.close()));
      proxies.clear();
      await emulator?.close();
      emulator = undefined;
    },
    createClient: async (clientOptions) => {
      const proxy = await createTcpProxy({ upstream: live().emulator.port });
      proxies.add(proxy);
      const link: ClientLink = { blackholed: false, proxy };
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        auth: clientOptions.auth ?? (() => `${clientOptions.clientId}.token`),
        transport: pusherTransport({
          key: APP.key,
          authEndpoint: `${appUrl}/pusher/auth`,
          ...(options.publish === 'endpoint'
            ? { publishEndpoint: `${appUrl}/pusher/publish` }
            : {}),
          pusherOptions: { ...live().emulator.clientOptions(), wsPort: proxy.port },
          connectTimeoutMs: 1_000,
          ...(options.clientEventsPerSecond
            ? { clientEventsPerSecond: options.clientEventsPerSecond }
            : {}),
          fetch: (input, init) => (link.blackholed ? hang(init?.signal) : fetch(input, init)),
          ...options.transport,
        }),
      });
      links.set(client, link);
      return client;
    },
    serverPublish: async (channel, event, data, publishOptions) => {
      await publishFromServer(live().pusher, {
        channel,
        event,
        data,
        ...(publishOptions?.id ? { id: publishOptions.id } : {}),
      });
    },
    dropLink: async (client) => {
      live().emulator.dropSocket(socketOf(client));
    },
    interruptLink: async (client, ms) => {
      const proxy = links.get(client)?.proxy;
      if (!proxy) throw new Error('That client was not made by this harness.');
      proxy.cut();
      proxy.refuse(true);
      await new Promise((resolve) => setTimeout(resolve, ms));
      proxy.refuse(false);
    },
    blackholeLink: async (client) => {
      live().emulator.blackholeSocket(socketOf(client));
      const link = links.get(client);
      if (link) link.blackholed = true;
    },
    stopServer: () => live().emulator.stop(),
    startServer: () => live().emulator.start(),
    rejectAuth: (rule) => authRules.add(rule),
    refuseSubscribes: (channel, times) => refusals.set(channel, times),
    subscribeAttempts: async (channel) => refusals.attempts(channel),
    // Messages travel on private-<name>; presence is a separate Pusher channel and not counted.
    providerSubscriptionCount: async (channel) =>
      live().emulator.subscriptionCount(`private-${channel}`),
    // Pusher keeps no history: nothing to forget.
    truncateHistory: async () => {},
  };
}

/** A request into a black hole: it never answers, and only ends when its caller gives up. */
function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The app server's two web-standard endpoints on Node, the way a Next.js route handler runs. */
function appListener(
  auth: (request: Request) => Promise<Response>,
  publish: (request: Request) => Promise<Response>,
): RequestListener {
  return getRequestListener(
    (request) =>
      (new URL(request.url).pathname.startsWith('/pusher/auth') ? auth : publish)(request),
    { overrideGlobalObjects: false },
  ) as RequestListener;
}
