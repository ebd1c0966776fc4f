import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { createMemoryHub, type MemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import { TYPING_EVENT } from './message.js';
import type { Timers } from './timers.js';
import type { TransportPublish } from './transport/types.js';

const timers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Flush the memory hub's microtask deliveries, optionally moving the fake clock. */
const advance = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function client(hub: MemoryHub, clientId: string) {
  const transport = memoryTransport({ hub });
  const publish = vi.spyOn(transport, 'publish');
  const realtime = createRealtime({
    transport,
    clientId,
    timers,
    connectivity: noConnectivitySignals,
    typing: { timeoutMs: 3_000, throttleMs: 1_500 },
  });
  await realtime.connect();
  const typingSignals = () =>
    publish.mock.calls
      .map(([message]) => message as TransportPublish)
      .filter((message) => message.event === TYPING_EVENT)
      .map((message) => message.data);
  return { realtime, typingSignals, typing: realtime.channel('room').typing };
}

async function pair() {
  const hub = createMemoryHub();
  const alice = await client(hub, 'alice');
  const bob = await client(hub, 'bob');
  const seen: string[][] = [];
  bob.typing.subscribe(() => seen.push([...bob.typing.getSnapshot()]));
  await bob.realtime.channel('room').ready();
  return { hub, alice, bob, seen };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('channel.typing', () => {
  it('sends at most one typing signal per throttleMs while start() is called on every keystroke', async () => {
    const { alice } = await pair();
    alice.typing.start();
    for (let t = 0; t < 1_400; t += 100) {
      await advance(100);
      alice.typing.start();
    }
    expect(alice.typingSignals()).toEqual([{ typing: true }]);
    await advance(100); // 1 500 ms since the first signal
    alice.typing.start();
    expect(alice.typingSignals()).toEqual([{ typing: true }, { typing: true }]);
  });

  it('shows the typer to others, and not to themselves', async () => {
    const { alice, bob, seen } = await pair();
    alice.typing.start();
    await advance();
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
    expect(alice.typing.getSnapshot()).toEqual([]);
    expect(seen).toEqual([['alice']]);
  });

  it('stops by itself timeoutMs after the last start()', async () => {
    const { alice, bob } = await pair();
    alice.typing.start();
    await advance(1_000);
    alice.typing.start();
    await advance(2_999);
    expect(alice.typingSignals()).toEqual([{ typing: true }]);
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
    await advance(1);
    expect(alice.typingSignals()).toEqual([{ typing: true }, { typing: false }]);
    expect(bob.typing.getSnapshot()).toEqual([]);
  });

  it('stop() sends the stop signal at once, and a later start() signals again without waiting', async () => {
    const { alice, bob } = await pair();
    alice.typing.start();
    await advance(200);
    alice.typing.stop();
    await advance();
    expect(bob.typing.getSnapshot()).toEqual([]);
    alice.typing.stop();
    alice.typing.start();
    await advance();
    expect(alice.typingSignals()).toEqual([{ typing: true }, { typing: false }, { typing: true }]);
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
  });

  it('expires a typer on the receiving side when their signals stop arriving', async () => {
    const { alice, bob } = await pair();
    alice.typing.start();
    await advance();
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
    // Alice vanishes without sending a stop (closed tab): only the receiver's expiry can clear her.
    alice.realtime.close();
    await advance(3_000 + 1_500 - 1);
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
    await advance(1);
    expect(bob.typing.getSnapshot()).toEqual([]);
  });

  it('keeps a typer listed while their throttled refreshes keep coming', async () => {
    const { alice, bob } = await pair();
    for (let i = 0; i < 6; i++) {
      alice.typing.start();
      await advance(1_500);
    }
    expect(bob.typing.getSnapshot()).toEqual(['alice']);
    expect(alice.typingSignals().length).toBe(6);
  });

  it('sends nothing while offline', async () => {
    const transport = memoryTransport({ hub: createMemoryHub() });
    const publish = vi.spyOn(transport, 'publish');
    const offline = createRealtime({ transport, timers, connectivity: noConnectivitySignals });
    offline.channel('room').typing.start();
    await advance(5_000);
    expect(publish).not.toHaveBeenCalled();
  });
});
