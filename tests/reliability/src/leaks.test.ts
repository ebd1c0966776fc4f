import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createMemoryHub, memoryTransport } from '@patchbay/realtime-core/memory';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { sseTransport } from '@patchbay/realtime-sse';
import { waitFor } from '@patchbay/realtime-testkit';
import { describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import {
  activeResources,
  type CycleRun,
  heapNote,
  measureCycles,
  recordingIo,
  settledHeap,
  socketLoad,
  startLeakHub,
} from './support/leakProbe.js';
import { startVendorServerProcess } from './support/vendorServerProcess.js';
import { vendorTransport } from './support/vendorTransport.js';

/** Heap after the run may be at most this much above the baseline. */
const HEAP_TOLERANCE = 0.05;
/** Wall-clock budget per scenario, used only to choose how many cycles fit (never asserted). */
const BUDGET_MS = 60_000;
const WARM_UP = 2_000;
/** Channels the cycles rotate through; the app holds them all attached as its steady state. */
const CHANNELS = 1_000;

const channelName = (i: number) => `leak-${i % CHANNELS}`;

/** One subscribe → attached → unsubscribe cycle on the named channel. */
async function visit(client: RealtimeClient, name: string): Promise<void> {
  const channel = client.channel(name);
  const off = channel.subscribe(() => {});
  await channel.ready();
  off();
}

/** A connected client on a fresh memory hub, authenticated as `user`. */
async function memoryClient(user: string) {
  const hub = createMemoryHub();
  const client = createRealtime({
    transport: memoryTransport({ hub }),
    auth: () => user,
    connectivity: noConnectivitySignals,
  });
  await client.connect();
  return { hub, client };
}

describe('leaks: subscribe/unsubscribe cycles', () => {
  it('100 000 cycles through core (memory transport) return the heap to baseline', async () => {
    const { hub, client } = await memoryClient('leaker');
    // Steady state: one channel stays attached throughout; the rotating ones come and go.
    const keep = client.channel('leak-anchor').subscribe(() => {});
    for (let i = 0; i < WARM_UP; i++) await visit(client, channelName(i));
    const cycles = 100_000;
    let next = 0;
    const { done, durationMs, baseline, after } = await measureCycles(
      cycles,
      () => visit(client, channelName(next++)),
      async () => {},
    );
    const names = Array.from({ length: CHANNELS }, (_, i) => channelName(i));
    const live = names.filter((name) => client.channel(name).refCount > 0).length;
    const providerSubs = names.reduce((sum, name) => sum + hub.subscriberCount(name), 0);
    record({
      scenario: 'subscribe/unsubscribe ×100k (memory)',
      provider: 'memory',
      sent: cycles,
      received: done,
      lost: 0,
      duplicated: 0,
      note: `${heapNote(baseline, after)}, ${live + providerSubs} listeners left; ${Math.round(durationMs)} ms; ${CHANNELS} rotating channels + 1 attached`,
    });
    keep();
    client.close();
    expect(done).toBe(cycles);
    expect(live).toBe(0);
    expect(providerSubs).toBe(0);
    expect(after).toBeLessThanOrEqual(baseline * (1 + HEAP_TOLERANCE));
  });

  it('visiting 20 000 distinct channels once each returns the heap to baseline', async () => {
    // A room switcher: every channel name is new, used once and left. The client must not keep
    // a channel object per name it has ever seen.
    const { hub, client } = await memoryClient('visitor');
    const keep = client.channel('visit-anchor').subscribe(() => {});
    for (let i = 0; i < WARM_UP; i++) await visit(client, `warm-${i}`);
    const visits = 20_000;
    let next = 0;
    const { done, durationMs, baseline, after } = await measureCycles(
      visits,
      () => visit(client, `visit-${next++}`),
      async () => {},
    );
    let providerSubs = 0;
    for (let i = 0; i < visits; i++) providerSubs += hub.subscriberCount(`visit-${i}`);
    record({
      scenario: `distinct channels ×${visits / 1_000}k (memory)`,
      provider: 'memory',
      sent: visits,
      received: done,
      lost: 0,
      duplicated: 0,
      note: `${heapNote(baseline, after)}, ${providerSubs} provider subscriptions left; ${Math.round(durationMs)} ms`,
    });
    keep();
    client.close();
    expect(done).toBe(visits);
    expect(providerSubs).toBe(0);
    expect(after).toBeLessThanOrEqual(baseline * (1 + HEAP_TOLERANCE));
  });

  it('cycles over a real hub on Socket.IO return the heap and every listener to baseline', async () => {
    const { hub, server } = await startLeakHub();
    const { io, sockets } = recordingIo();
    const client = createRealtime({
      transport: socketioTransport({ url: server.url, transports: ['websocket'], io }),
      auth: () => 'leaker',
      connectivity: noConnectivitySignals,
    });
    await client.connect();
    const keep = client.channel('leak-anchor').subscribe(() => {});
    await client.channel('leak-anchor').ready();
    const warmStart = performance.now();
    for (let i = 0; i < WARM_UP; i++) await visit(client, channelName(i));
    const perCycleMs = (performance.now() - warmStart) / WARM_UP;
    // 100 000 when they fit the budget at the measured pace, else 10 000 (core's 100 000 run above).
    const cycles = perCycleMs * 100_000 <= BUDGET_MS ? 100_000 : 10_000;
    await waitFor('unsubscribes acknowledged', async () => (await hub.stats()).channels === 1);
    const socket = sockets.at(-1);
    if (!socket) throw new Error('no socket recorded');
    const baselineStats = await hub.stats();
    const baselineSocket = socketLoad(socket);
    const baseline = await settledHeap();
    const started = performance.now();
    let done = 0;
    for (let i = 0; i < cycles; i++) {
      await visit(client, channelName(i));
      done++;
    }
    const durationMs = performance.now() - started;
    const names = Array.from({ length: CHANNELS }, (_, i) => channelName(i));
    // Unsubscribe is fire-and-forget on the client: wait for the hub to have handled them all.
    await waitFor(
      'the hub back to its baseline channels',
      async () => (await hub.stats()).channels === baselineStats.channels,
      { timeoutMs: 10_000 },
    );
    const after = await settledHeap();
    const stats = await hub.stats();
    const hubSubs = names.reduce((sum, name) => sum + hub.subscriberCount(name), 0);
    const live = names.filter((name) => client.channel(name).refCount > 0).length;
    const load = socketLoad(socket);
    const leftover =
      hubSubs + live + load.listeners - baselineSocket.listeners + load.acks - baselineSocket.acks;
    record({
      scenario: `subscribe/unsubscribe ×${cycles / 1_000}k (hub)`,
      provider: 'socketio',
      sent: cycles,
      received: done,
      lost: 0,
      duplicated: 0,
      note: `${heapNote(baseline, after)} (client + hub, one process), ${leftover} listeners left; hub channels ${baselineStats.channels}→${stats.channels}; ${Math.round(durationMs)} ms (${perCycleMs.toFixed(2)} ms/cycle measured in warm-up)`,
    });
    keep();
    client.close();
    await server.close();
    await hub.close();
    expect(done).toBe(cycles);
    expect(hubSubs).toBe(0);
    expect(live).toBe(0);
    expect(stats.channels).toBe(baselineStats.channels);
    expect(load).toEqual(baselineSocket);
    expect(after).toBeLessThanOrEqual(baseline * (1 + HEAP_TOLERANCE));
  });
});

/**
 * Record a connect/close row, then check it: every cycle ran, no resource type above its
 * baseline, the heap within tolerance.
 */
function expectConnectCycles(provider: string, cycles: number, run: CycleRun, where: string): void {
  const { done, durationMs, baseline, after, baselineResources, resources, resourceNote } = run;
  record({
    scenario: `connect/close ×${cycles / 1_000}k`,
    provider,
    sent: cycles,
    received: done,
    lost: 0,
    duplicated: 0,
    note: `${heapNote(baseline, after)} ${where}; ${resourceNote}; ${Math.round(durationMs)} ms`,
  });
  expect(done).toBe(cycles);
  for (const [type, n] of Object.entries(resources)) {
    expect(n, `${type} handles`).toBeLessThanOrEqual(baselineResources[type] ?? 0);
  }
  expect(after).toBeLessThanOrEqual(baseline * (1 + HEAP_TOLERANCE));
}

describe('leaks: connect/close cycles', () => {
  for (const provider of ['socketio', 'sse'] as const) {
    it(`connect/close cycles on ${provider} leave no connections, timers or heap behind`, async () => {
      const { hub, server } = await startLeakHub();
      const open = async () => {
        const client = createRealtime({
          transport:
            provider === 'socketio'
              ? socketioTransport({ url: server.url, transports: ['websocket'] })
              : sseTransport({ url: server.url }),
          auth: () => 'cycler',
          connectivity: noConnectivitySignals,
        });
        await client.connect();
        client.close();
      };
      const settleConnections = () =>
        waitFor('the hub without connections', async () => (await hub.stats()).connections === 0, {
          timeoutMs: 10_000,
        });
      // The heap grows over the first few thousand connections (compiled code, lazily built
      // socket and parser pools) and is flat afterwards, so the baseline is taken after that.
      const warmUp = 3_000;
      const warmStart = performance.now();
      for (let i = 0; i < warmUp; i++) await open();
      const perCycleMs = (performance.now() - warmStart) / warmUp;
      await settleConnections();
      // Socket.IO gets the full 10 000 when it fits; SSE shares the budget and gets what fits in half.
      const budget = provider === 'socketio' ? BUDGET_MS : BUDGET_MS / 2;
      const cycles = Math.min(
        10_000,
        Math.max(1_000, Math.floor(budget / perCycleMs / 1_000) * 1_000),
      );
      const run = await measureCycles(cycles, open, settleConnections);
      const stats = await hub.stats();
      await server.close();
      await hub.close();
      expectConnectCycles(
        provider,
        cycles,
        run,
        `(client + hub, one process), hub connections ${stats.connections}`,
      );
      expect(stats.connections).toBe(0);
    });
  }
});

describe('leaks: connect/close cycles on the vendor SDKs', () => {
  // The emulator (and Pusher's auth/publish server) runs in a child process, so the heap measured
  // here is the client's: pusher-js or ably-js under the Patchbay transport.
  for (const provider of ['pusher', 'ably'] as const) {
    it(`connect/close cycles on ${provider} leave no sockets, timers or heap behind`, async () => {
      const server = await startVendorServerProcess(provider);
      try {
        const { info } = server;
        // pusher-js keeps every client it constructs (Pusher.instances, its network listeners)
        // for the life of the process, so a Pusher app makes one Patchbay client and connects
        // and closes it (the transport reuses its pusher-js); ably-js lets a closed client go,
        // so there every cycle is a new Patchbay client.
        const make = () =>
          createRealtime({
            transport: vendorTransport(provider, info),
            ...(provider === 'pusher' ? { auth: () => 'cycler' } : {}),
            connectivity: noConnectivitySignals,
          });
        const reused = provider === 'pusher' ? make() : undefined;
        const open = async () => {
          const client = reused ?? make();
          await client.connect();
          client.close();
        };
        // The vendor SDKs' heap settles after ~1 000 connections (compiled code, pools); the
        // baseline is taken after that.
        const warmUp = 1_500;
        for (let i = 0; i < warmUp; i++) await open();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const socketsClosed = (baselineResources: Record<string, number>) =>
          waitFor(
            'client sockets closed',
            () => (activeResources().TCPSocketWrap ?? 0) <= (baselineResources.TCPSocketWrap ?? 0),
            { timeoutMs: 10_000 },
          ).catch(() => undefined);
        const cycles = 2_000;
        const run = await measureCycles(cycles, open, socketsClosed);
        expectConnectCycles(provider, cycles, run, '(client only; emulator in a child process)');
      } finally {
        await server.stop();
      }
    });
  }
});
