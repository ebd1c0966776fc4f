import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createHubServer, Hub, type HubOptions, type HubServer } from '@patchbay/realtime-server';
import {
  type ConformanceHarness,
  createAuthRules,
  createClientNetworks,
  createSubscribeRefusals,
} from '@patchbay/realtime-testkit';
import { socketioTransport } from './socketioTransport.js';

/**
 * Test-only: a real hub on 127.0.0.1 (port 0) and clients on real socket.io-client. Restarts
 * reuse the port and keep the hub's state, like a server process restarting on a shared broker.
 */
export function createSocketIOHarness(
  options: { transports?: Array<'websocket' | 'polling'>; hub?: HubOptions } = {},
): ConformanceHarness & { server(): HubServer } {
  const authRules = createAuthRules();
  const networks = createClientNetworks();
  const rejected = authRules.rejects;
  const refusals = createSubscribeRefusals();
  const hub = new Hub({
    rateLimit: false,
    ...options.hub,
    authenticate: ({ token, clientId }) => {
      const id = token ? (token.split('.')[0] ?? token) : clientId;
      if (!id || rejected(id, undefined, 'connect')) return null;
      return { clientId: id };
    },
    authorize: ({ clientId, channel, action }) => {
      if (action === 'subscribe') {
        if (refusals.refuse(channel)) {
          // A hook that throws (its database is down) makes the hub answer a retryable
          // `transport_error`, and the link stays up.
          throw new Error('the permissions store is unavailable (refuseSubscribes)');
        }
      }
      return !rejected(clientId, channel, action);
    },
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
    rejectAuth: (rule) => authRules.add(rule),
    refuseSubscribes: (channel, times) => refusals.set(channel, times),
    subscribeAttempts: async (channel) => refusals.attempts(channel),
    providerSubscriptionCount: async (channel) => hub.subscriberCount(channel),
    truncateHistory: (channel) => hub.broker.clearHistory(channel),
  };
}
