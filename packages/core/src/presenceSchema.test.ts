import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { defineChannel } from './defineChannel.js';
import { type RealtimeError, ValidationError } from './errors.js';
import { createMemoryHub, type MemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';

const room = defineChannel(
  'room',
  { note: z.object({ text: z.string() }) },
  { presence: z.object({ name: z.string().min(1) }) },
);

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

async function connectedClient(hub: MemoryHub, clientId: string) {
  const transport = memoryTransport({ hub });
  const client = createRealtime({ transport, clientId, connectivity: noConnectivitySignals });
  const errors: RealtimeError[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return { client, transport, errors };
}

describe('presence schema: outgoing data', () => {
  it('enter, update, hold and hold.update reject invalid data with a ValidationError and send nothing', async () => {
    const hub = createMemoryHub();
    const { client: alice, transport } = await connectedClient(hub, 'alice');
    const enter = vi.spyOn(transport, 'presenceEnter');
    const update = vi.spyOn(transport, 'presenceUpdate');
    const { presence } = alice.channel(room);

    const rejected = presence.enter({ name: '' });
    await expect(rejected).rejects.toBeInstanceOf(ValidationError);
    await expect(rejected).rejects.toThrow(/presence data on "room".*name: /);
    const invalid = presence.hold({ name: 7 } as never);
    await expect(invalid.ready).rejects.toThrow(ValidationError);
    invalid.release();
    expect(enter).not.toHaveBeenCalled();

    const hold = presence.hold({ name: 'Alice' });
    await hold.ready;
    await expect(hold.update({ name: '' })).rejects.toThrow(ValidationError);
    await expect(presence.update({} as never)).rejects.toThrow(ValidationError);
    expect(update).not.toHaveBeenCalled();
    expect(enter.mock.calls.map(([, data]) => data)).toEqual([{ name: 'Alice' }]);
    expect(presence.getSnapshot().map((member) => member.data)).toEqual([{ name: 'Alice' }]);
    hold.release();
    await presence.leave();
    alice.close();
  });
});

describe('presence schema: incoming member data', () => {
  it('keeps a member with invalid data out of members, reports it and shows it on channel.state', async () => {
    const hub = createMemoryHub();
    // Mallory's client does not use the definition, so nothing stops her sending bad data.
    const { client: mallory } = await connectedClient(hub, 'mallory');
    await mallory.channel('room').presence.enter({ name: 42 });
    const { client: bob, errors } = await connectedClient(hub, 'bob');
    const channel = bob.channel(room);
    const members = () => channel.presence.getSnapshot().map((m) => [m.clientId, m.data]);
    channel.presence.subscribe(() => {});
    await channel.ready();
    const { client: alice } = await connectedClient(hub, 'alice');
    await alice.channel('room').presence.enter({ name: 'Alice' });
    await expect.poll(members).toEqual([['alice', { name: 'Alice' }]]);

    expect(errors).toHaveLength(1);
    const error = errors[0] as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ channel: 'room', clientId: 'mallory' });
    expect(error.message).toMatch(/presence data of "mallory" on "room".*name: /);
    expect(channel.state.getSnapshot()).toEqual({ state: 'attached', error });

    // A member whose update is invalid keeps its previous valid data.
    await alice.channel('room').presence.update({ name: '' });
    await expect.poll(() => errors.length).toBe(2);
    expect(errors[1]).toMatchObject({ clientId: 'alice' });
    expect(members()).toEqual([['alice', { name: 'Alice' }]]);

    // Fixed data is taken.
    await mallory.channel('room').presence.update({ name: 'Mallory' });
    await expect.poll(members).toEqual([
      ['alice', { name: 'Alice' }],
      ['mallory', { name: 'Mallory' }],
    ]);
    for (const client of [alice, bob, mallory]) client.close();
  });

  it('an invalid inbound message sets channel.state error; the next attach clears it', async () => {
    const hub = createMemoryHub();
    const { client: bob } = await connectedClient(hub, 'bob');
    const channel = bob.channel(room);
    const off = channel.subscribe('note', () => {});
    await channel.ready();
    hub.publish('room', 'note', { text: 1 });
    await settle();
    expect(channel.state.getSnapshot()).toMatchObject({
      state: 'attached',
      error: expect.any(ValidationError),
    });

    off();
    await settle();
    const again = channel.subscribe('note', () => {});
    await channel.ready();
    expect(channel.state.getSnapshot()).toEqual({ state: 'attached' });
    again();
    bob.close();
  });

  it('with emulated updates, an invalid update is ignored and a valid one applies', async () => {
    const hub = createMemoryHub();
    const emulated = { presenceUpdate: false };
    const connect = async (clientId: string) => {
      const client = createRealtime({
        transport: memoryTransport({ hub, capabilities: emulated }),
        clientId,
        connectivity: noConnectivitySignals,
      });
      const errors: RealtimeError[] = [];
      client.on('error', (error) => errors.push(error));
      await client.connect();
      return { client, errors };
    };
    const { client: bob, errors } = await connect('bob');
    const channel = bob.channel(room);
    const members = () => channel.presence.getSnapshot().map((m) => [m.clientId, m.data]);
    channel.presence.subscribe(() => {});
    await channel.ready();
    const { client: alice } = await connect('alice');
    const { presence } = alice.channel('room');
    await presence.enter({ name: 'Alice' });
    await expect.poll(members).toEqual([['alice', { name: 'Alice' }]]);

    await presence.update({ name: '' });
    await expect
      .poll(() => errors.map((error) => (error as ValidationError).clientId))
      .toEqual(['alice']);
    expect(members()).toEqual([['alice', { name: 'Alice' }]]);
    await presence.update({ name: 'Ally' });
    await expect.poll(members).toEqual([['alice', { name: 'Ally' }]]);
    alice.close();
    bob.close();
  });

  it('an async presence schema keeps presence events in arrival order', async () => {
    const slow = defineChannel(
      'slow',
      {},
      {
        presence: z.object({ name: z.string() }).refine(async (value) => {
          await new Promise((resolve) => setTimeout(resolve, value.name === 'first' ? 20 : 0));
          return true;
        }),
      },
    );
    const hub = createMemoryHub();
    const { client: bob } = await connectedClient(hub, 'bob');
    const channel = bob.channel(slow);
    const seen: string[] = [];
    channel.presence.onEvent((event) => {
      if (event.type !== 'sync') seen.push(`${event.type} ${event.member.clientId}`);
    });
    await channel.ready();
    const { client: alice } = await connectedClient(hub, 'alice');
    const { presence } = alice.channel('slow');
    await presence.enter({ name: 'first' });
    await presence.leave();
    await expect.poll(() => seen).toEqual(['enter alice', 'leave alice']);
    expect(channel.presence.getSnapshot()).toEqual([]);
    alice.close();
    bob.close();
  });
});
