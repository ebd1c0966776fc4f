import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import {
  createSseHandler,
  createSseNodeHandler,
  Hub,
  type HubOptions,
} from '@patchbay/realtime-server';
import {
  type ConformanceHarness,
  createClientNetworks,
  createHubHooks,
} from '@patchbay/realtime-testkit';
import { type SseTransportOptions, sseTransport } from './sseTransport.js';

export interface SseHarnessOptions {
  /**
   * `node`: the hub's `(req, res)` handler. `fetch`: its web-standard handler mounted through a
   * generic fetch-to-Node adapter, the way a Next.js route handler runs.
   */
  mount: 'node' | 'fetch';
  heartbeatMs?: number;
  hub?: HubOptions;
  transport?: Partial<SseTransportOptions>;
}

/** Test-only: a real hub over SSE on 127.0.0.1 (port 0); restarts reuse the port and the hub. */
export function createSseHarness(
  options: SseHarnessOptions,
): ConformanceHarness & { hub: Hub; url(): string } {
  const hooks = createHubHooks();
  const networks = createClientNetworks();
  const hub = new Hub({
    rateLimit: false,
    ...options.hub,
    authenticate: hooks.authenticate,
    authorize: hooks.authorize,
  });
  const sse = { heartbeatMs: options.heartbeatMs ?? 1_000 };
  const listener: RequestListener =
    options.mount === 'node'
      ? createSseNodeHandler(hub, sse)
      : (getRequestListener(createSseHandler(hub, sse), {
          overrideGlobalObjects: false,
        }) as RequestListener);
  let server: Server | undefined;
  let port = 0;
  const url = () => `http://127.0.0.1:${port}`;
  const sessionOf = (client: RealtimeClient) => {
    const { connectionId } = client.connection.getSnapshot();
    const session = connectionId ? hub.session(connectionId) : undefined;
    if (!session) throw new Error('That client has no live hub session.');
    return session;
  };
  const start = async () => {
    const next = createServer(listener);
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    current.closeAllConnections();
    await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  return {
    hub,
    url,
    setup: start,
    teardown: async () => {
      await networks.closeAll();
      await stop();
      await hub.close();
    },
    createClient: async (clientOptions) => {
      const network = await networks.open(port);
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        transport: sseTransport({ url: network.url, ...options.transport }),
      });
      networks.bind(client, network);
      return client;
    },
    serverPublish: async (channel, event, data, publishOptions) => {
      await hub.publish(channel, event, data, publishOptions);
    },
    dropLink: async (client) => sessionOf(client).link.terminate(),
    interruptLink: (client, ms) => networks.interrupt(client, ms),
    blackholeLink: async (client) => {
      sessionOf(client).blackholed = true;
    },
    stopServer: stop,
    startServer: start,
    ...hooks.controls,
    providerSubscriptionCount: async (channel) => hub.subscriberCount(channel),
    truncateHistory: (channel) => hub.broker.clearHistory(channel),
  };
}
