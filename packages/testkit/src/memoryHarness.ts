import {
  ConnectionError,
  createRealtime,
  ErrorCodes,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import {
  createMemoryHub,
  type MemoryHub,
  type MemoryHubOptions,
  type MemoryTransportOptions,
  memoryTransport,
} from '@patchbay/realtime-core/memory';
import type { Transport } from '@patchbay/realtime-core/transport';
import type { ConformanceHarness } from './harness.js';
import { createSubscribeRefusals } from './subscribeRefusals.js';

export interface MemoryHarnessOptions {
  hub?: MemoryHubOptions;
  /** Declare capabilities as missing to run the suite against core's fallbacks. */
  capabilities?: MemoryTransportOptions['capabilities'];
}

/** The conformance harness for the memory transport; also handy for app tests. */
export function createMemoryHarness(
  options: MemoryHarnessOptions = {},
): ConformanceHarness & { hub: MemoryHub } {
  const refusals = createSubscribeRefusals();
  const authorize = options.hub?.authorize;
  const hub = createMemoryHub({
    ...options.hub,
    // Every subscribe asks authorize(): the place to count attempts and refuse some.
    authorize: (request) => {
      if (request.action === 'subscribe' && refusals.refuse(request.channel)) {
        // What the hub answers when its authorize() hook throws (say, its database is down).
        throw new ConnectionError(
          ErrorCodes.TransportError,
          `The hub failed to handle "subscribe": the permissions store is unavailable (refuseSubscribes).`,
          { retryable: true },
        );
      }
      return authorize ? authorize(request) : true;
    },
  });
  const connectionOf = (client: RealtimeClient): string => {
    const { connectionId } = client.connection.getSnapshot();
    if (!connectionId) throw new Error('The client is not connected; nothing to drop.');
    return connectionId;
  };
  /** When each client's network comes back (`interruptLink`). */
  const offlineUntil = new WeakMap<RealtimeClient, { until: number }>();
  return {
    hub,
    createClient: (clientOptions) => {
      const network = { until: 0 };
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        transport: withNetwork(
          memoryTransport({
            hub,
            ...(options.capabilities ? { capabilities: options.capabilities } : {}),
          }),
          network,
        ),
      });
      offlineUntil.set(client, network);
      return client;
    },
    serverPublish: async (channel, event, data, publishOptions) => {
      hub.publish(channel, event, data, publishOptions);
    },
    dropLink: async (client) => {
      hub.drop({ connectionId: connectionOf(client) });
    },
    interruptLink: async (client, ms) => {
      const network = offlineUntil.get(client);
      if (network) network.until = Date.now() + ms;
      hub.drop({ connectionId: connectionOf(client) });
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    blackholeLink: async (client) => {
      hub.blackhole({ connectionId: connectionOf(client) });
    },
    stopServer: async () => hub.stop(),
    startServer: async () => hub.start(),
    rejectAuth: (rejection) => hub.rejectAuth(rejection),
    refuseSubscribes: (channel, times) => refusals.set(channel, times),
    subscribeAttempts: async (channel) => refusals.attempts(channel),
    providerSubscriptionCount: async (channel) => hub.subscriberCount(channel),
    truncateHistory: async (channel) => hub.clearHistory(channel),
  };
}

/** The memory transport behind a network that can be down: connects fail while it is. */
function withNetwork(transport: Transport, network: { until: number }): Transport {
  return {
    provider: transport.provider,
    capabilities: transport.capabilities,
    connect: (request) =>
      Date.now() < network.until
        ? Promise.reject(
            new ConnectionError(
              ErrorCodes.ConnectionFailed,
              'The network is down (interruptLink).',
              {
                retryable: true,
              },
            ),
          )
        : transport.connect(request),
    disconnect: () => transport.disconnect(),
    subscribe: (channel, options) => transport.subscribe(channel, options),
    unsubscribe: (channel) => transport.unsubscribe(channel),
    publish: (message) => transport.publish(message),
    presenceEnter: (channel, data) => transport.presenceEnter(channel, data),
    presenceUpdate: (channel, data) => transport.presenceUpdate(channel, data),
    presenceLeave: (channel) => transport.presenceLeave(channel),
    ...(transport.history
      ? {
          history: (channel, options) =>
            transport.history?.(channel, options) ?? Promise.resolve([]),
        }
      : {}),
  };
}
