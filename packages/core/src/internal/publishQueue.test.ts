import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ErrorCodes } from '../codes.js';
import { noConnectivitySignals } from '../connectivity.js';
import { createRealtime } from '../createRealtime.js';
import { defineChannel } from '../defineChannel.js';
import { PublishTimeoutError, QueueOverflowError, type RealtimeError } from '../errors.js';
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
    // One ack timer for every publish on the wire.
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
    // Entries come back as stored: the client checks each one and reports those it drops.
    storage.setItem('patchbay:queue', JSON.stringify([message('a'), { id: 7 }, null]));
    expect(queue.load()).toEqual([message('a'), { id: 7 }, null]);
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

describe('restored queue entries', () => {
  const stored = (id: string, data: unknown, fields: Partial<QueuedMessage> = {}) => ({
    id,
    channel: 'room',
    event: 'say',
    data,
    queuedAt: 1,
    ...fields,
  });

  it('drops tampered localStorage entries that fail the publish checks, reports each once, and sends the valid ones in order', async () => {
    const hub = createMemoryHub();
    const watcher = await listener(hub);
    const storage = fakeStorage();
    // Written by hand or by an older app version: only one, two and three are publishable.
    const { id: _, ...noId } = stored('no-id', 'no id');
    storage.setItem(
      'patchbay:queue',
      JSON.stringify([
        stored('one', 'one'),
        stored('bad-schema', 42),
        stored('reserved', 'typing?', { event: 'patchbay:typing' }),
        stored('two', 'two'),
        stored('bad-name', 'spaces', { channel: 'room 1' }),
        noId,
        stored('three', 'three'),
      ]),
    );

    const writer = offlineClient(hub, { storage });
    // The app registers its schema and error listener after creating the client, as apps do.
    writer.channel(defineChannel('room', { say: z.string() }));
    const errors: RealtimeError[] = [];
    writer.on('error', (error) => errors.push(error));
    const writes: string[][] = [];
    vi.spyOn(storage, 'setItem').mockImplementation((key, value) => {
      writes.push((JSON.parse(value) as QueuedMessage[]).map((m) => m.id));
      storage.items.set(key, value);
    });

    await writer.connect();
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two', 'three']);
    // Dropped from storage as they were checked, before the flush; from then on storage held
    // only valid entries, until the acks emptied it.
    const clean = writes.findIndex((ids) => ids.join() === 'one,two,three');
    expect(clean).toBeGreaterThanOrEqual(0);
    expect(new Set(writes.slice(clean).flat())).toEqual(new Set(['one', 'two', 'three']));
    expect(storage.items.size).toBe(0);
    expect(errors.map((error) => error.code).sort()).toEqual(
      [
        ErrorCodes.InvalidChannelName,
        ErrorCodes.ValidationFailed,
        ErrorCodes.ValidationFailed,
        ErrorCodes.ValidationFailed,
      ].sort(),
    );
    const reported = (text: string) => errors.filter((error) => error.message.includes(text));
    for (const error of errors) expect(error.message).toContain('offline queue');
    expect(reported('"bad-schema"')[0]?.message).toMatch(/does not match the channel schema/);
    expect(reported('"reserved"')[0]?.message).toMatch(/"patchbay:" are reserved/);
    expect(reported('"bad-name"')[0]?.message).toMatch(/Invalid channel name "room 1"/);
    expect(reported('no valid "id"')[0]?.message).toContain('channel "room"');

    // A reconnect neither sends nor reports anything again.
    writer.close();
    await writer.connect();
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two', 'three']);
    expect(errors).toHaveLength(4);
  });

  it('drops restored entries whose data is not JSON or too large, from an async storage too', async () => {
    const hub = createMemoryHub({ maxMessageBytes: 1_000 });
    const watcher = await listener(hub);
    const saved: string[][] = [];
    const writer = createRealtime({
      transport: memoryTransport({ hub }),
      connectivity: noConnectivitySignals,
      queue: {
        storage: {
          // E.g. IndexedDB, which stores values JSON cannot hold.
          load: async () => [
            stored('one', 'one'),
            stored('bigint', 10n),
            stored('huge', 'x'.repeat(2_000)),
            stored('two', 'two'),
          ],
          save: (messages) => void saved.push(messages.map((m) => m.id)),
        },
      },
    });
    const errors: RealtimeError[] = [];
    writer.on('error', (error) => errors.push(error));
    await writer.connect();
    await settle();
    expect(watcher.texts()).toEqual(['one', 'two']);
    expect(errors.map((error) => error.code)).toEqual([
      ErrorCodes.ValidationFailed,
      ErrorCodes.MessageTooLarge,
    ]);
    expect(errors[0]?.message).toMatch(/"bigint".*not JSON-serializable/);
    expect(errors[1]?.message).toMatch(/"huge".*accepts at most 1000/);
    // Storage held the invalid ones only until they were checked, before anything was sent.
    expect(saved).toContainEqual(['one', 'two']);
    expect(saved.at(-1)).toEqual([]);
  });
});
