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
});
