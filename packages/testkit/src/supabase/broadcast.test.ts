import {
  REALTIME_SUBSCRIBE_STATES,
  type RealtimeChannel,
  type RealtimeClient,
} from '@supabase/realtime-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSupabaseEmulator, type SupabaseEmulator } from './createSupabaseEmulator.js';
import { testClients } from './internal/testClients.js';

let emulator: SupabaseEmulator;
const clients = testClients(() => emulator);
const client = (options: Parameters<typeof clients.client>[0] = {}): RealtimeClient =>
  clients.client(options);

/** Subscribe and resolve with the first terminal status (and its error, if any). */
function subscribed(channel: RealtimeChannel): Promise<{ status: string; error?: Error }> {
  return new Promise((resolve) => {
    channel.subscribe((status, error) => resolve(error ? { status, error } : { status }));
  });
}

beforeAll(async () => {
  emulator = await createSupabaseEmulator();
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await emulator.close();
});

describe('Supabase emulator: connect and broadcast with the real realtime-js', () => {
  it('connects with the anon key, answers heartbeats and joins a channel', async () => {
    const realtime = client();
    const channel = realtime.channel('lobby');
    expect(await subscribed(channel)).toEqual({ status: REALTIME_SUBSCRIBE_STATES.SUBSCRIBED });
    const latency = await new Promise<string>((resolve) => {
      realtime.onHeartbeat((status) => {
        if (status !== 'sent') resolve(status);
      });
      void realtime.sendHeartbeat();
    });
    expect(latency).toBe('ok');
    expect(emulator.subscriberCount('lobby')).toBe(1);
    expect(emulator.connections()).toEqual([
      expect.objectContaining({ role: 'anon', topics: ['realtime:lobby'] }),
    ]);
  });

  it('relays a broadcast to the other subscribers, and to the sender only with self: true', async () => {
    const alice = client().channel('room', { config: { broadcast: { self: true } } });
    const bob = client().channel('room');
    const aliceGot: unknown[] = [];
    const bobGot: unknown[] = [];
    alice.on('broadcast', { event: 'chat' }, (message) => aliceGot.push(message));
    bob.on('broadcast', { event: 'chat' }, (message) => bobGot.push(message));
    await subscribed(alice);
    await subscribed(bob);

    expect(await alice.send({ type: 'broadcast', event: 'chat', payload: { text: 'hi' } })).toBe(
      'ok',
    );
    expect(await bob.send({ type: 'broadcast', event: 'chat', payload: { text: 'yo' } })).toBe(
      'ok',
    );
    const hi = { type: 'broadcast', event: 'chat', payload: { text: 'hi' } };
    const yo = { type: 'broadcast', event: 'chat', payload: { text: 'yo' } };
    await expect.poll(() => aliceGot).toEqual([hi, yo]);
    // bob has self: false, so his own "yo" never comes back to him.
    await expect.poll(() => bobGot).toEqual([hi]);
  });

  it('acknowledges a broadcast with ack: true after relaying it', async () => {
    const sender = client().channel('acked', { config: { broadcast: { ack: true } } });
    const listener = client().channel('acked');
    const got: unknown[] = [];
    listener.on('broadcast', { event: '*' }, (message) => got.push(message.payload));
    await subscribed(sender);
    await subscribed(listener);
    expect(await sender.send({ type: 'broadcast', event: 'e', payload: { n: 1 } })).toBe('ok');
    await expect.poll(() => got).toEqual([{ n: 1 }]);
  });

  it('relays binary payloads as bytes', async () => {
    const sender = client().channel('bytes', { config: { broadcast: { ack: true } } });
    const listener = client().channel('bytes');
    const got: number[][] = [];
    listener.on('broadcast', { event: 'blob' }, (message) => {
      got.push([...new Uint8Array(message.payload as ArrayBuffer)]);
    });
    await subscribed(sender);
    await subscribed(listener);
    const bytes = new Uint8Array([1, 2, 255]).buffer;
    expect(await sender.send({ type: 'broadcast', event: 'blob', payload: bytes })).toBe('ok');
    await expect.poll(() => got).toEqual([[1, 2, 255]]);
  });

  it('speaks vsn 1.0.0 (JSON objects) to a client that asks for it', async () => {
    const oldClient = client({ vsn: '1.0.0' }).channel('mixed');
    const newClient = client().channel('mixed');
    const got: unknown[] = [];
    oldClient.on('broadcast', { event: 'm' }, (message) => got.push(message.payload));
    await subscribed(oldClient);
    await subscribed(newClient);
    await newClient.send({ type: 'broadcast', event: 'm', payload: { from: 'v2' } });
    await expect.poll(() => got).toEqual([{ from: 'v2' }]);
  });

  it('phx_leave unsubscribes: the channel closes and the server forgets it', async () => {
    const realtime = client();
    const channel = realtime.channel('leaving');
    await subscribed(channel);
    expect(emulator.subscriberCount('leaving')).toBe(1);
    expect(await channel.unsubscribe()).toBe('ok');
    await expect.poll(() => emulator.subscriberCount('leaving')).toBe(0);
  });

  it('a service publish reaches every subscriber', async () => {
    const channel = client().channel('news');
    const got: unknown[] = [];
    channel.on('broadcast', { event: 'headline' }, (message) => got.push(message));
    await subscribed(channel);
    emulator.publish('news', 'headline', { title: 'up' });
    await expect
      .poll(() => got)
      .toEqual([{ event: 'headline', payload: { title: 'up' }, type: 'broadcast' }]);
  });
});
