import { describe, expect, it, vi } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { createMemoryHub, type MemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { PresenceEvent } from './presenceSet.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

async function connectedClient(hub: MemoryHub, clientId: string) {
  const transport = memoryTransport({ hub });
  const client = createRealtime({ transport, clientId, connectivity: noConnectivitySignals });
  await client.connect();
  return { client, transport };
}

/** Bob watches `room` and records what he sees of the others. */
async function watcher(hub: MemoryHub) {
  const { client } = await connectedClient(hub, 'bob');
  const presence = client.channel('room').presence;
  const events: PresenceEvent[] = [];
  presence.onEvent((event) => events.push(event));
  await client.channel('room').ready();
  return {
    client,
    members: () => presence.getSnapshot().map((member) => [member.clientId, member.data]),
    changes: () =>
      events.flatMap((event) =>
        event.type === 'sync' ? [] : [`${event.type} ${event.member.clientId}`],
      ),
  };
}

describe('presence holds: present while at least one is held', () => {
  it('releasing one of two holds keeps the member; releasing both leaves once', async () => {
    const hub = createMemoryHub();
    const bob = await watcher(hub);
    const { client: alice } = await connectedClient(hub, 'alice');
    const room = alice.channel('room');
    const first = room.presence.hold({ name: 'Alice' });
    const second = room.presence.hold();
    await Promise.all([first.ready, second.ready]);
    await expect.poll(bob.members).toEqual([['alice', { name: 'Alice' }]]);

    first.release();
    first.release(); // idempotent: does not release the second hold
    await settle();
    expect(bob.members()).toEqual([['alice', { name: 'Alice' }]]);
    expect(room.state.getSnapshot().state).toBe('attached');

    second.release();
    await expect.poll(bob.members).toEqual([]);
    await settle();
    expect(bob.changes()).toEqual(['enter alice', 'leave alice']);
    expect(room.state.getSnapshot().state).toBe('detached');
    alice.close();
    bob.client.close();
  });

  it('a release followed by a new hold in the same task neither leaves nor re-enters', async () => {
    const hub = createMemoryHub();
    const bob = await watcher(hub);
    const { client: alice, transport } = await connectedClient(hub, 'alice');
    const enter = vi.spyOn(transport, 'presenceEnter');
    const leave = vi.spyOn(transport, 'presenceLeave');
    const room = alice.channel('room');
    const mounted = room.presence.hold({ name: 'Alice' });
    await mounted.ready;
    await expect.poll(bob.members).toEqual([['alice', { name: 'Alice' }]]);

    // StrictMode: unmount and mount again in one task.
    mounted.release();
    const remounted = room.presence.hold({ name: 'Alice' });
    await remounted.ready;
    await settle();

    expect(bob.changes()).toEqual(['enter alice']);
    expect(enter).toHaveBeenCalledTimes(1);
    expect(leave).not.toHaveBeenCalled();
    remounted.release();
    alice.close();
    bob.client.close();
  });

  it('the data is the latest set by any holder', async () => {
    const hub = createMemoryHub();
    const bob = await watcher(hub);
    const { client: alice } = await connectedClient(hub, 'alice');
    const { presence } = alice.channel('room');
    const avatar = presence.hold({ status: 'online' });
    await avatar.ready;
    await expect.poll(bob.members).toEqual([['alice', { status: 'online' }]]);

    const editor = presence.hold({ status: 'editing' });
    await editor.ready;
    await expect.poll(bob.members).toEqual([['alice', { status: 'editing' }]]);

    await avatar.update({ status: 'away' });
    await expect.poll(bob.members).toEqual([['alice', { status: 'away' }]]);

    await presence.update({ status: 'busy' });
    await expect.poll(bob.members).toEqual([['alice', { status: 'busy' }]]);
    expect(bob.changes()).toEqual(['enter alice', 'update alice', 'update alice', 'update alice']);
    avatar.release();
    editor.release();
    await presence.leave();
    alice.close();
    bob.client.close();
  });

  it('leave() releases only the hold of enter(); a component hold keeps the member present', async () => {
    const hub = createMemoryHub();
    const bob = await watcher(hub);
    const { client: alice } = await connectedClient(hub, 'alice');
    const { presence } = alice.channel('room');

    const component = presence.hold({ v: 1 });
    await presence.enter({ v: 2 });
    await expect.poll(bob.members).toEqual([['alice', { v: 2 }]]);
    await presence.leave();
    await settle();
    expect(bob.members()).toEqual([['alice', { v: 2 }]]);

    component.release();
    await expect.poll(bob.members).toEqual([]);

    // And the other way round: the imperative hold outlives a component's.
    await presence.enter({ v: 3 });
    const other = presence.hold();
    await other.ready;
    other.release();
    await settle();
    expect(bob.members()).toEqual([['alice', { v: 3 }]]);
    await presence.leave();
    await expect.poll(bob.members).toEqual([]);
    expect(bob.changes()).toEqual(['enter alice', 'leave alice', 'enter alice', 'leave alice']);
    alice.close();
    bob.client.close();
  });

  it('ready rejects with the enter error (AuthError) when presence is refused', async () => {
    const hub = createMemoryHub({
      authorize: ({ action }) => action !== 'presence',
    });
    const { client: alice } = await connectedClient(hub, 'alice');
    const hold = alice.channel('room').presence.hold({ v: 1 });
    await expect(hold.ready).rejects.toMatchObject({ code: 'auth_rejected' });
    expect(alice.channel('room').presence.getSnapshot()).toEqual([]);
    hold.release();
    alice.close();
  });
});
