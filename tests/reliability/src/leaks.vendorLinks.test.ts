import { createRealtime, type RealtimeClient } from '@patchbay/realtime-core';
import { createTcpProxy, type TcpProxy, waitFor } from '@patchbay/realtime-testkit';
import { describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import { activeResources, type CycleRun, heapNote, measureCycles } from './support/leakProbe.js';
import { startVendorServerProcess, type VendorServerInfo } from './support/vendorServerProcess.js';
import { vendorTransport } from './support/vendorTransport.js';

/** Heap after the run may be at most this much above the baseline. */
const HEAP_TOLERANCE = 0.05;
const SUBSCRIBE_CYCLES = 10_000;
const LINK_CUTS = 1_000;
/** The heap settles after about this many reconnects (compiled code); the baseline is taken after. */
const WARM_UP_CUTS = 1_000;
/** Channels the cycles rotate through. */
const CHANNELS = 100;

/**
 * Pusher and Ably keep one vendor client for the Patchbay client's life and let it reconnect by
 * itself, so what must not leak is what that one client accumulates: channels it attached and
 * released, and the state of every reconnect. The emulator runs in a child process and the
 * client reaches it through a TCP proxy that cuts the link; the heap measured is the client's.
 */
describe('leaks: long-lived vendor clients', () => {
  for (const provider of ['pusher', 'ably'] as const) {
    it(`${provider}: 10 000 subscribe/unsubscribe cycles and 1 000 link cuts on one client return the heap to baseline`, async () => {
      const server = await startVendorServerProcess(provider);
      const proxy = await createTcpProxy({ upstream: server.info.port });
      try {
        // The network coming back (the browser's `online`): each cut is followed by it, so the
        // vendor retries at once instead of waiting out its own delay (ably-js waits 1 s between
        // immediate retries).
        let networkBack = () => {};
        const client = longLivedClient(provider, server.info, proxy, (kick) => {
          networkBack = kick;
        });
        await client.connect();
        const visit = async (i: number) => {
          const channel = client.channel(`leak-${i % CHANNELS}`);
          const off = channel.subscribe(() => {});
          await channel.ready();
          off();
          // Release takes effect at the end of the task: let it reach the vendor client.
          await new Promise((resolve) => setImmediate(resolve));
        };
        for (let i = 0; i < 1_000; i++) await visit(i);
        let next = 0;
        const cycles = await measureCycles(SUBSCRIBE_CYCLES, () => visit(next++), settle);
        expectRow(
          provider,
          `subscribe/unsubscribe ×${SUBSCRIBE_CYCLES / 1_000}k (one client)`,
          SUBSCRIBE_CYCLES,
          cycles,
        );

        // A member of one channel throughout, so each reconnect re-attaches and re-enters.
        const room = client.channel('leak-room');
        room.subscribe(() => {});
        await room.presence.enter({ here: true });
        const cut = async () => {
          const reconnected = new Promise<void>((resolve) => {
            let dropped = false;
            const off = client.connection.subscribe(() => {
              const { state } = client.connection.getSnapshot();
              if (state !== 'connected' && !dropped) {
                dropped = true;
                networkBack();
              } else if (state === 'connected' && dropped) {
                off();
                resolve();
              }
            });
          });
          proxy.cut();
          await reconnected;
          await room.ready();
        };
        for (let i = 0; i < WARM_UP_CUTS; i++) await cut();
        const links = await measureCycles(LINK_CUTS, cut, settle);
        expectRow(provider, `link cuts ×${LINK_CUTS / 1_000}k (one client)`, LINK_CUTS, links);
        expect(client.connection.getSnapshot().state).toBe('connected');
        client.close();
      } finally {
        await proxy.close();
        await server.stop();
      }
    });
  }
});

function longLivedClient(
  provider: 'pusher' | 'ably',
  info: VendorServerInfo,
  proxy: TcpProxy,
  onNetworkKick: (kick: () => void) => void,
): RealtimeClient {
  return createRealtime({
    transport: vendorTransport(provider, info, proxy.port),
    ...(provider === 'pusher' ? { auth: () => 'long-lived' } : {}),
    ...(provider === 'ably' ? { clientId: 'long-lived' } : {}),
    reconnect: { baseDelayMs: 10, maxDelayMs: 100 },
    connectivity: {
      subscribe: (kick) => {
        onNetworkKick(kick);
        return () => {};
      },
    },
  });
}

/** Wait (bounded) for sockets to return to the baseline before the heap is read. */
async function settle(baseline: Record<string, number>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  await waitFor(
    'sockets back to the baseline',
    () => (activeResources().TCPSocketWrap ?? 0) <= (baseline.TCPSocketWrap ?? 0),
    { timeoutMs: 5_000 },
  ).catch(() => undefined);
}

function expectRow(provider: string, scenario: string, cycles: number, run: CycleRun): void {
  const { done, durationMs, baseline, after, resourceNote } = run;
  record({
    scenario,
    provider,
    sent: cycles,
    received: done,
    lost: 0,
    duplicated: 0,
    note: `${heapNote(baseline, after)} (client only; emulator in a child process); ${resourceNote}; ${Math.round(durationMs)} ms`,
  });
  expect(done).toBe(cycles);
  expect(after).toBeLessThanOrEqual(baseline * (1 + HEAP_TOLERANCE));
}
