import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createSupabaseEmulator, type SupabaseEmulator } from '@patchbay/realtime-testkit/supabase';
import { RealtimeClient as SupabaseClient } from '@supabase/realtime-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { supabaseTransport } from './supabaseTransport.js';

let emulator: SupabaseEmulator;
const closers: Array<() => unknown> = [];
beforeAll(async () => {
  emulator = await createSupabaseEmulator({ port: 0 });
});
afterAll(async () => {
  for (const close of closers) await close();
  await emulator.close();
});

async function patchbay(clientId: string): Promise<RealtimeClient> {
  const client = createRealtime({
    connectivity: noConnectivitySignals,
    clientId,
    auth: () => emulator.signToken({ sub: clientId }),
    transport: supabaseTransport({
      url: emulator.httpUrl,
      apiKey: emulator.anonKey,
      clientOptions: { transport: emulator.clientOptions().transport },
    }),
  });
  closers.push(() => client.close());
  await client.connect();
  return client;
}

function raw(): SupabaseClient {
  const client = new SupabaseClient(emulator.url, emulator.clientOptions());
  closers.push(() => client.disconnect());
  return client;
}

it('a raw realtime-js client and a Patchbay client on one channel read each other', async () => {
  const alice = await patchbay('alice');
  const fromRaw: unknown[] = [];
  alice.channel('lobby').subscribe('chat', (message) => fromRaw.push(message));
  await alice.channel('lobby').ready();

  const seen: Array<{ event: string; payload: unknown }> = [];
  const channel = raw().channel('lobby');
  channel.on('broadcast', { event: '*' }, ({ event, payload }) => seen.push({ event, payload }));
  await new Promise((resolve) =>
    channel.subscribe((status) => status === 'SUBSCRIBED' && resolve(null)),
  );

  // What a raw client sees of a Patchbay publish: the event name, and the envelope as payload.
  await alice.channel('lobby').publish('chat', { text: 'hi from Patchbay' }, { id: 'm-1' });
  await expect
    .poll(() => seen)
    .toEqual([
      {
        event: 'chat',
        payload: {
          patchbay: 1,
          id: 'm-1',
          data: { text: 'hi from Patchbay' },
          clientId: 'alice',
          timestamp: expect.any(Number),
        },
      },
    ]);

  // A plain broadcast arrives as the message's data, with a generated id and no sender.
  await channel.send({ type: 'broadcast', event: 'chat', payload: { text: 'hi from raw' } });
  // (Alice's own message came back first: echo is on by default.)
  await expect.poll(() => fromRaw.length).toBe(2);
  expect(fromRaw[1]).toMatchObject({
    event: 'chat',
    data: { text: 'hi from raw' },
    channel: 'lobby',
  });
  expect((fromRaw[1] as { clientId?: string }).clientId).toBeUndefined();
});

it('a raw client sees Patchbay presence as one key per connection with clientId and data', async () => {
  const bob = await patchbay('bob');
  await bob.channel('room').presence.enter({ status: 'online' });
  const channel = raw().channel('room', { config: { presence: { key: 'watcher' } } });
  let state: Record<string, unknown[]> = {};
  channel.on('presence', { event: 'sync' }, () => {
    state = channel.presenceState();
  });
  channel.subscribe();
  await expect
    .poll(() => Object.values(state).flat())
    .toEqual([
      {
        clientId: 'bob',
        connectionId: bob.connection.getSnapshot().connectionId,
        data: { status: 'online' },
        presence_ref: expect.any(String),
      },
    ]);
  // A raw member shows in Patchbay under its presence key, with its meta as the data.
  await channel.track({ status: 'lurking' });
  await expect
    .poll(() =>
      bob
        .channel('room')
        .presence.getSnapshot()
        .map((m) => [m.clientId, m.data]),
    )
    .toEqual([
      ['bob', { status: 'online' }],
      ['watcher', { status: 'lurking' }],
    ]);
});

it('a malformed Patchbay envelope is dropped and reported as invalid_frame', async () => {
  const carol = await patchbay('carol');
  const errors: string[] = [];
  carol.on('error', (error) => errors.push(error.code));
  const received: unknown[] = [];
  carol.channel('bad').subscribe((message) => received.push(message.data));
  await carol.channel('bad').ready();
  const channel = raw().channel('bad');
  await new Promise((resolve) =>
    channel.subscribe((status) => status === 'SUBSCRIBED' && resolve(null)),
  );
  await channel.send({ type: 'broadcast', event: 'x', payload: { patchbay: 1, id: 42 } });
  await channel.send({ type: 'broadcast', event: 'x', payload: { fine: true } });
  await expect.poll(() => received).toEqual([{ fine: true }]);
  expect(errors).toEqual(['invalid_frame']);
});
