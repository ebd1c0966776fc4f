import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeOptions,
} from '@patchbay/realtime-core';
import { createMemoryHub, type MemoryHub, memoryTransport } from '@patchbay/realtime-core/memory';
import type { Transport } from '@patchbay/realtime-core/transport';
import type { ReactNode } from 'react';
import { RealtimeProvider } from './RealtimeProvider.js';

/** Test-only: a memory transport that counts what reaches the provider. */
export function countingTransport(hub: MemoryHub): {
  transport: Transport;
  calls: Record<string, number>;
} {
  const inner = memoryTransport({ hub });
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const counted =
    <TArgs extends unknown[], TResult>(name: string, run: (...args: TArgs) => TResult) =>
    (...args: TArgs): TResult => {
      count(name);
      return run(...args);
    };
  const transport: Transport = {
    provider: inner.provider,
    capabilities: inner.capabilities,
    connect: counted('connect', (request) => inner.connect(request)),
    disconnect: () => inner.disconnect(),
    subscribe: counted('subscribe', (channel: string, options) =>
      inner.subscribe(channel, options),
    ),
    unsubscribe: counted('unsubscribe', (channel: string) => inner.unsubscribe(channel)),
    publish: counted('publish', (message) => inner.publish(message)),
    presenceEnter: counted('presenceEnter', (channel: string, data: unknown) =>
      inner.presenceEnter(channel, data),
    ),
    presenceUpdate: counted('presenceUpdate', (channel: string, data: unknown) =>
      inner.presenceUpdate(channel, data),
    ),
    presenceLeave: counted('presenceLeave', (channel: string) => inner.presenceLeave(channel)),
  };
  return { transport, calls };
}

export interface TestWorld {
  hub: MemoryHub;
  clients: RealtimeClient[];
  client(clientId: string, options?: Partial<RealtimeOptions>): RealtimeClient;
  close(): void;
}

export function createWorld(): TestWorld {
  const hub = createMemoryHub();
  const clients: RealtimeClient[] = [];
  return {
    hub,
    clients,
    client(clientId, options = {}) {
      const client = createRealtime({
        transport: memoryTransport({ hub }),
        clientId,
        connectivity: noConnectivitySignals,
        ...options,
      });
      clients.push(client);
      return client;
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}

export function withProvider(client: RealtimeClient) {
  return ({ children }: { children?: ReactNode }) => (
    <RealtimeProvider client={client}>{children}</RealtimeProvider>
  );
}
