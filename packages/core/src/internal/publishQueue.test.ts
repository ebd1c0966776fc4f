import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../codes.js';
import { noConnectivitySignals } from '../connectivity.js';
import { createRealtime } from '../createRealtime.js';
import { PublishTimeoutError, QueueOverflowError } from '../errors.js';
import { createMemoryHub, type MemoryHub } from '../memory/memoryHub.js';
import { memoryTransport } from '../memory/memoryTransport.js';
import type { RealtimeMessage } from '../message.js';
import { localStorageQueueStorage, type QueuedMessage } from '../queueStorage.js';
import { fakeTransport } from './testing/fakeTransport.js';

/** Let the memory hub's microtask deliveries and a few real macrotask turns run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function fakeStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

/** A connected client on `hub` that records what arrives on `room`. */
async function listener(hub: MemoryHub) {
  const client = createRealtime({
    transport: memoryTransport({ hub }),
    clientId: 'listener',
    connectivity: noConnectivitySignals,
  });
  const received: RealtimeMessage[] = [];
  const channel = client.channel('room');
  channel.subscribe((message) => received.push(message));
  await client.connect();
  await channel.ready();
  return { client, received, texts: () => received.map((m) => m.data) };
}

function offlineClient(
  hub: MemoryHub,
  options: { maxSize?: number; storage?: ReturnType<typeof fakeStorage> } = {},
) {
  return createRealtime({
    transport: memoryTransport({ hub }),
    clientId: 'writer',
    connectivity: noConnectivitySignals,
    queue: {
      ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
      ...(options.storage
        ? { storage: localStorageQueueStorage({ storage: options.storage }) }
        : {}),
    },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('offline queue', () => {
  it('rejects with QueueOverflowError once maxSize messages wait, and still delivers the queued ones in order', async () => {
    const hub = createMemoryHub();
    const watcher = await listener(hub);
    const writer = offlineClient(hub, { maxSize: 2 });
    const room = writer.channel('room');
    const first = room.publish('say', 'one');
    const second = room.publish('say', 'two');
    const overflow = room.publish('say', 'three');
    await expect(overflow).rejects.toBeInstanceOf(QueueOverflowError);
    await expect(overflow).rejects.toMatchObject({ code: ErrorCodes.QueueOverflow });
    expect(writer.queue.getSnapshot()).toEqual({ size: 2, sending: 0, maxSize: 2 });

    await writer.connect();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two']);
    expect(writer.queue.getSnapshot().size).toBe(0);
    // Room again once the queue drained.
    await expect(room.publish('say', 'four')).resolves.toBeUndefined();
  });

  it('rejects with PublishTimeoutError when the provider never acknowledges', async () => {
    vi.useFakeTimers();
    const publish = vi.fn((_message: unknown) => new Promise<void>(() => {}));
    const transport = fakeTransport({
      provider: 'silent',
      capabilities: { presence: false, presenceUpdate: false },
      connect: async () => ({ clientId: 'writer' }),
      publish,
    });
    const client = createRealtime({
      transport,
      publishTimeoutMs: 5_000,
      connectivity: noConnectivitySignals,
      timers: {
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
        now: () => Date.now(),
      },
    });
    await client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const result = client.channel('room').publish('say', 'hello');
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(publish).toHaveBeenCalledTimes(1);
    expect(client.queue.getSnapshot()).toMatchObject({ size: 1, sending: 1 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(client.queue.getSnapshot().size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).rejects.toBeInstanceOf(PublishTimeoutError);
    await expect(result).rejects.toMatchObject({
      code: ErrorCodes.PublishTimeout,
      retryable: true,
    });
    expect(client.queue.getSnapshot().size).toBe(0);
  });

  it('times out each publish its own publishTimeoutMs after it was sent, with one shared timer', async () => {
    vi.useFakeTimers();
    const acks: Array<() => void> = [];
    const publish = vi.fn(
      (_message: unknown) => new Promise<void>((resolve) => void acks.push(resolve)),
    );
    const transport = fakeTransport({ connect: async () => ({ clientId: 'writer' }), publish });
    const client = createRealtime({
      transport,
      publishTimeoutMs: 1_000,
      connectivity: noConnectivitySignals,
    });
    await client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const room = client.channel('room');
    const outcome = (promise: Promise<void>) =>
      promise.then(
        () => 'acked',
        (error: unknown) => (error instanceof PublishTimeoutError ? 'timeout' : 'other'),
      );
    const first = outcome(room.publish('say', 'one'));
    await vi.advanceTimersByTimeAsync(300);
    const second = outcome(room.publish('say', 'two'));
    await vi.advanceTimersByTimeAsync(300);
    const third = outcome(room.publish('say', 'three'));
    acks[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(await first).toBe('acked');
    expect(vi.getTimerCount()).toBe(1);
    // `second` was sent at 300 ms: due at 1 300, not earlier.
    await vi.advanceTimersByTimeAsync(699);
    expect(client.queue.getSnapshot()).toMatchObject({ size: 2, sending: 2 });
    await vi.advanceTimersByTimeAsync(1);
    expect(await second).toBe('timeout');
    expect(client.queue.getSnapshot()).toMatchObject({ size: 1, sending: 1 });
    // `third` was sent at 600 ms: due at 1 600.
    await vi.advanceTimersByTimeAsync(299);
    expect(client.queue.getSnapshot().size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await third).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
    // A publish still on the wire when the client closes leaves no timer behind.
    void outcome(room.publish('say', 'four'));
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    client.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('localStorageQueueStorage', () => {
  const message = (id: string): QueuedMessage => ({
    id,
    channel: 'room',
    event: 'say',
    data: { id },
    queuedAt: 1,
  });

  it('round-trips the queue through the given storage under its key', () => {
    const storage = fakeStorage();
    const queue = localStorageQueueStorage({ storage, key: 'q:alice' });
    queue.save([message('a'), message('b')]);
    expect([...storage.items.keys()]).toEqual(['q:alice']);
    expect(localStorageQueueStorage({ storage, key: 'q:alice' }).load()).toEqual([
      message('a'),
      message('b'),
    ]);
    expect(localStorageQueueStorage({ storage, key: 'q:bob' }).load()).toEqual([]);
    queue.save([]);
    expect(storage.items.size).toBe(0);
  });

  it('writes a burst of publishes once per task, all stored before the task ends', async () => {
    const hub = createMemoryHub();
    const storage = fakeStorage();
    const setItem = vi.spyOn(storage, 'setItem');
    const writer = offlineClient(hub, { storage });
    for (let n = 0; n < 500; n++) {
      void writer
        .channel('room')
        .publish('say', n)
        .catch(() => {});
    }
    // The first change of the task is written at once, the other 499 together in a microtask.
    expect(setItem).toHaveBeenCalledTimes(1);
    await Promise.resolve();
    expect(setItem).toHaveBeenCalledTimes(2);
    const stored = JSON.parse(storage.getItem('patchbay:queue') ?? '[]') as QueuedMessage[];
    expect(stored.map((m) => m.data)).toEqual(Array.from({ length: 500 }, (_, n) => n));
    writer.close();
  });

  it('discards unreadable stored data instead of throwing', () => {
    const storage = fakeStorage();
    const queue = localStorageQueueStorage({ storage });
    storage.setItem('patchbay:queue', '{not json');
    expect(queue.load()).toEqual([]);
    storage.setItem('patchbay:queue', JSON.stringify({ id: 'a' }));
    expect(queue.load()).toEqual([]);
    storage.setItem('patchbay:queue', JSON.stringify([message('a'), { id: 7 }, null]));
    expect(queue.load()).toEqual([message('a')]);
  });

  it('sends what was queued before a reload once the new client connects', async () => {
    const hub = createMemoryHub();
    const watcher = await listener(hub);
    const storage = fakeStorage();
    const before = offlineClient(hub, { storage });
    void before
      .channel('room')
      .publish('say', 'one')
      .catch(() => {});
    void before
      .channel('room')
      .publish('say', 'two')
      .catch(() => {});
    expect(storage.items.size).toBe(1);

    // The page reloads: a new client on the same storage.
    const after = offlineClient(hub, { storage });
    await after.connect();
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two']);
    expect(storage.items.size).toBe(0);
  });

  it('keeps messages from before a reload when the new page publishes before connecting', async () => {
    const hub = createMemoryHub();
    const watcher = await listener(hub);
    const storage = fakeStorage();
    const before = offlineClient(hub, { storage });
    void before
      .channel('room')
      .publish('say', 'one')
      .catch(() => {});

    const after = offlineClient(hub, { storage });
    const fresh = after.channel('room').publish('say', 'two');
    await after.connect();
    await expect(fresh).resolves.toBeUndefined();
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two']);
  });
});
