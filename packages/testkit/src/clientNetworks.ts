import type { RealtimeClient } from '@patchbay/realtime-core';
import { createTcpProxy, type TcpProxy } from './tcpProxy.js';
import { sleep } from './waitFor.js';

/**
 * One network per test client, for harnesses: each client reaches its server through its own
 * `createTcpProxy`, so `interrupt` takes one client's network away without touching the others.
 */
export interface ClientNetworks {
  /** A new network to `upstreamPort`; give the client `proxy.url` (or `proxy.port`), then `bind` it. */
  open(upstreamPort: number): Promise<TcpProxy>;
  bind(client: RealtimeClient, proxy: TcpProxy): void;
  /** Cut the client's connections and refuse new ones for `ms` (`ConformanceHarness.interruptLink`). */
  interrupt(client: RealtimeClient, ms: number): Promise<void>;
  /** Close every network (in the harness's teardown). */
  closeAll(): Promise<void>;
}

export function createClientNetworks(): ClientNetworks {
  const proxies = new Set<TcpProxy>();
  const byClient = new WeakMap<RealtimeClient, TcpProxy>();
  return {
    open: async (upstreamPort) => {
      const proxy = await createTcpProxy({ upstream: upstreamPort });
      proxies.add(proxy);
      return proxy;
    },
    bind: (client, proxy) => {
      byClient.set(client, proxy);
    },
    interrupt: async (client, ms) => {
      const proxy = byClient.get(client);
      if (!proxy) throw new Error('That client was not created with its own network (bind it).');
      proxy.refuse(true);
      proxy.cut();
      try {
        await sleep(ms);
      } finally {
        proxy.refuse(false);
      }
    },
    closeAll: async () => {
      const all = [...proxies];
      proxies.clear();
      await Promise.all(all.map((proxy) => proxy.close()));
    },
  };
}
