import { describe, expect, it, vi } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { DedupeWindow } from './dedupe.js';
import { fakeTransport } from './internal/testing/fakeTransport.js';
import type { TransportSink } from './transport/types.js';

/** A reproducible stream of indices below `n` (a linear congruential generator). */
function seededIndex(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

describe('DedupeWindow', () => {
  it('drops a duplicate key inside the window', () => {
    const window = new DedupeWindow(3);
    expect(window.add('a')).toBe(true);
    expect(window.add('b')).toBe(true);
    expect(window.add('a')).toBe(false);
    expect(window.has('a')).toBe(true);
  });

  it('forgets the oldest key beyond `size`, so a very old id is accepted again', () => {
    const window = new DedupeWindow(3);
    for (const key of ['a', 'b', 'c', 'd']) expect(window.add(key)).toBe(true);
    expect(window.has('a')).toBe(false);
    expect(window.has('b')).toBe(true);
    expect(window.add('a')).toBe(true);
    // Re-adding 'a' pushed out 'b', the oldest remaining key.
    expect(window.has('b')).toBe(false);
    expect(window.add('d')).toBe(false);
  });

  it('stays bounded however many keys pass through', () => {
    const window = new DedupeWindow(100);
    for (let i = 0; i < 10_000; i++) window.add(`k${i}`);
    expect(window.has('k9899')).toBe(false);
    expect(window.has('k9900')).toBe(true);
    expect(window.has('k9999')).toBe(true);
  });

  it('answers like a set that evicts in insertion order', () => {
    // The reference: what the window means, written the obvious way.
    class Reference {
      readonly seen = new Set<string>();
      constructor(readonly size: number) {}
      add(key: string): boolean {
        if (this.seen.has(key)) return false;
        this.seen.add(key);
        if (this.seen.size > this.size) this.seen.delete(this.seen.values().next().value as string);
        return true;
      }
    }
    for (const size of [0, 0.5, 1, 3, 7, 40]) {
      const window = new DedupeWindow(size);
      const reference = new Reference(size);
      const next = seededIndex(7);
      // Few distinct keys: duplicates inside and outside the window alike.
      for (let step = 0; step < 20_000; step++) {
        const key = `k${next(60)}`;
        expect(window.add(key)).toBe(reference.add(key));
        const probe = `k${next(60)}`;
        expect(window.has(probe)).toBe(reference.seen.has(probe));
      }
    }
  });
});

describe('client delivery dedupe', () => {
  it('hands a message id to handlers once, even when the transport delivers it twice', async () => {
    let sink: TransportSink | undefined;
    const transport = fakeTransport({
      capabilities: { presence: false, presenceUpdate: false },
      connect: async (request) => {
        sink = request.sink;
        return { clientId: 'alice' };
      },
    });
    const client = createRealtime({
      transport,
      dedupeWindow: 2,
      connectivity: noConnectivitySignals,
    });
    const handler = vi.fn();
    const room = client.channel('room');
    room.subscribe(handler);
    await client.connect();
    await room.ready();
    const deliver = (id: string, channel = 'room') =>
      sink?.message({ channel, id, event: 'say', data: id, timestamp: 1 });

    deliver('m1');
    deliver('m1');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith({
      id: 'm1',
      channel: 'room',
      event: 'say',
      data: 'm1',
      timestamp: 1,
    });
    deliver('m2');
    deliver('m3');
    // m1 fell out of a window of 2: it is accepted again.
    deliver('m1');
    expect(handler.mock.calls.map(([message]) => (message as { id: string }).id)).toEqual([
      'm1',
      'm2',
      'm3',
      'm1',
    ]);
  });
});
