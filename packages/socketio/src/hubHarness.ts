import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createHubServer, Hub, type HubOptions, type HubServer } from '@patchbay/realtime-server';
import {
  type ConformanceHarness,
  createClientNetworks,
  createHubHooks,
} from '@patchbay/realtime-testkit';
import { socketioTransport } from './socketioTransport.js';

/**
 * Test-only: a real hub on 127.0.0.1 (port 0) and clients on real socket.io-client. Restarts
 * reuse the port and keep the hub's state, like a server process restarting on a shared broker.
 */
export function createSocketIOHarness(
  options: { transports?: Array<'websocket' | 'polling'>; hub?: HubOptions } = {},
): ConformanceHarness & { server(): HubServer } {
  const hooks = createHubHooks();
  const networks = createClientNetworks();
  const hub = new Hub({
    rateLimit: false,
    ...options.hub,
    authenticate: hooks.authenticate,
    authorize: hooks.authorize,
  });
  let server: HubServer | undefined;
  let port = 0;
  const live = (): HubServer => {
    if (!server) throw new Error('The hub is stopped.');
    return server;
  };
  const sessionOf = (client: RealtimeClient) => {
    const { connectionId } = client.connection.getSnapshot();
    const session = connectionId ? hub.session(connectionId) : undefined;
    if (!session) throw new Error('That client has no live hub session.');
    return session;
  };
  const start = async () => {
    server = await createHubServer({ hub, port, host: '127.0.0.1' });
    port = server.port;
  };
  return {
    server: live,
    setup: start,
    teardown: async () => {
      await networks.closeAll();
      await server?.close();
      server = undefined;
      await hub.close();
    },
    createClient: async (clientOptions) => {
      live();
      const network = await networks.open(port);
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        transport: socketioTransport({
          url: network.url,
          ...(options.transports ? { transports: options.transports } : {}),
        }),
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
    stopServer: async () => {
      await server?.close();
      server = undefined;
    },
    startServer: start,
    ...hooks.controls,
    providerSubscriptionCount: async (channel) => hub.subscriberCount(channel),
    truncateHistory: (channel) => hub.broker.clearHistory(channel),
  };
}
