import {
  createMemoryHub,
  createRealtime,
  type MemoryHub,
  type MemoryHubOptions,
  type MemoryTransportOptions,
  memoryTransport,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import type { ConformanceHarness } from './harness.js';

export interface MemoryHarnessOptions {
  hub?: MemoryHubOptions;
  /** Declare capabilities as missing to run the suite against core's fallbacks. */
  capabilities?: MemoryTransportOptions['capabilities'];
}

/** The conformance harness for the memory transport; also handy for app tests. */
export function createMemoryHarness(
  options: MemoryHarnessOptions = {},
): ConformanceHarness & { hub: MemoryHub } {
  const hub = createMemoryHub(options.hub);
  const connectionOf = (client: RealtimeClient): string => {
    const { connectionId } = client.connection.getSnapshot();
    if (!connectionId) throw new Error('The client is not connected; nothing to drop.');
    return connectionId;
  };
  return {
    hub,
    createClient: (clientOptions) =>
      createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        transport: memoryTransport({
          hub,
          ...(options.capabilities ? { capabilities: options.capabilities } : {}),
        }),
      }),
    serverPublish: async (channel, event, data, publishOptions) => {
      hub.publish(channel, event, data, publishOptions);
    },
    dropLink: async (client) => {
      hub.drop({ connectionId: connectionOf(client) });
    },
    blackholeLink: async (client) => {
      hub.blackhole({ connectionId: connectionOf(client) });
    },
    stopServer: async () => hub.stop(),
    startServer: async () => hub.start(),
    rejectAuth: (rejection) => hub.rejectAuth(rejection),
    providerSubscriptionCount: async (channel) => hub.subscriberCount(channel),
    truncateHistory: async (channel) => hub.clearHistory(channel),
  };
}
