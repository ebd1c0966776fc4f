import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Channel } from './channel.js';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime, type RealtimeClient } from './createRealtime.js';
import { createMemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { RealtimeMessage } from './message.js';

/** A full, synchronous garbage collection (V8's `gc`, exposed for this process). */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Let pending deactivations run, then collect; WeakRefs read in a later task see the result. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
}

async function connectedClient(hub = createMemoryHub()): Promise<RealtimeClient> {
  const client = createRealtime({
    transport: memoryTransport({ hub }),
    connectivity: noConnectivitySignals,
  });
  await client.connect();
  return client;
}

/**
 * Visits `count` distinct channels the way a room switcher does (subscribe, wait for attach,
 * unsubscribe) and returns weak references to the channel objects, holding none of them.
 */
async function visitChannels(client: RealtimeClient, count: number): Promise<WeakRef<Channel>[]> {
  const refs: WeakRef<Channel>[] = [];
  for (let i = 0; i < count; i++) {
    const channel = client.channel(`room-${i}`);
    const off = channel.subscribe(() => {});
    await channel.ready();
    off();
    refs.push(new WeakRef(channel));
  }
  return refs;
}

describe('channel objects and their lifetime', () => {
  it('lets channels nothing holds or subscribes to be garbage-collected', async () => {
    const client = await connectedClient();
    const refs = await visitChannels(client, 200);
    await collect();
    const kept = refs.filter((ref) => ref.deref() !== undefined).length;
    expect(kept).toBe(0);
    client.close();
  });

  it('keeps a channel the app is subscribed to, and delivers to it after a collection', async () => {
    const hub = createMemoryHub();
    const client = await connectedClient(hub);
    const other = await connectedClient(hub);
    const seen: unknown[] = [];
    // Subscribed through a handle the test drops: only the subscription keeps the channel.
    const off = (() => {
      const channel = client.channel('kept');
      const unsubscribe = channel.subscribe((message: RealtimeMessage) => seen.push(message.data));
      return { unsubscribe, ready: channel.ready() };
    })();
    await off.ready;
    await visitChannels(client, 50);
    await collect();
    await other.channel('kept').publish('note', { n: 1 });
    await expect.poll(() => seen).toEqual([{ n: 1 }]);
    off.unsubscribe();
    client.close();
    other.close();
  });

  it('returns the same object for a name while the app holds it, subscribed or not', async () => {
    const client = await connectedClient();
    const channel = client.channel('lobby');
    const off = channel.subscribe(() => {});
    await channel.ready();
    off();
    await collect();
    expect(client.channel('lobby')).toBe(channel);
    // Subscribing again through the held object works as the first time did.
    const again = channel.subscribe(() => {});
    await channel.ready();
    expect(channel.state.getSnapshot().state).toBe('attached');
    again();
    client.close();
  });

  it('gives a working new channel for a name whose old object was collected', async () => {
    const hub = createMemoryHub();
    const client = await connectedClient(hub);
    const other = await connectedClient(hub);
    const [ref] = await visitChannels(client, 1);
    await collect();
    expect(ref?.deref()).toBeUndefined();
    const seen: unknown[] = [];
    const channel = client.channel('room-0');
    const off = channel.subscribe((message: RealtimeMessage) => seen.push(message.data));
    await channel.ready();
    await other.channel('room-0').publish('note', 'again');
    await expect.poll(() => seen).toEqual(['again']);
    off();
    client.close();
    other.close();
  });
});
