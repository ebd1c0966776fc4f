import type { PresenceEvent, RealtimeClient } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { waitFor } from '../waitFor.js';

function watch(client: RealtimeClient, name: string) {
  const presence = client.channel(name).presence;
  const events: PresenceEvent[] = [];
  presence.onEvent((event) => events.push(event));
  presence.subscribe(() => {});
  const members = () => presence.getSnapshot().map((m) => ({ clientId: m.clientId, data: m.data }));
  return {
    presence,
    events,
    members,
    types: () => events.filter((e) => e.type !== 'sync').map((e) => e.type),
  };
}

export function presenceTests(ctx: SuiteContext): void {
  it('enter makes the member visible to others, with its data', async () => {
    const alice = await ctx.connected({ clientId: 'p-alice' });
    const bob = await ctx.connected({ clientId: 'p-bob' });
    const name = ctx.channelName('room');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ status: 'online' });
    await expect.poll(seen.members).toEqual([{ clientId: 'p-alice', data: { status: 'online' } }]);
    expect(seen.types()).toEqual(['enter']);
  });

  it('update changes data as one update event, never leave + enter', async () => {
    const alice = await ctx.connected({ clientId: 'u-alice' });
    const bob = await ctx.connected({ clientId: 'u-bob' });
    const name = ctx.channelName('update');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ status: 'online' });
    await expect.poll(seen.members).toEqual([{ clientId: 'u-alice', data: { status: 'online' } }]);
    await alice.channel(name).presence.update({ status: 'away' });
    await expect.poll(seen.members).toEqual([{ clientId: 'u-alice', data: { status: 'away' } }]);
    expect(seen.types()).toEqual(['enter', 'update']);
  });

  it('leave removes the member for everyone', async () => {
    const alice = await ctx.connected({ clientId: 'l-alice' });
    const bob = await ctx.connected({ clientId: 'l-bob' });
    const name = ctx.channelName('leave');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({});
    await expect.poll(() => seen.members().length).toBe(1);
    await alice.channel(name).presence.leave();
    await expect.poll(seen.members).toEqual([]);
    expect(seen.types()).toEqual(['enter', 'leave']);
  });

  it('a late subscriber receives the current members (sync)', async () => {
    const alice = await ctx.connected({ clientId: 's-alice' });
    const name = ctx.channelName('sync');
    await alice.channel(name).presence.enter({ n: 1 });
    const bob = await ctx.connected({ clientId: 's-bob' });
    const seen = watch(bob, name);
    await expect.poll(seen.members).toEqual([{ clientId: 's-alice', data: { n: 1 } }]);
    expect(seen.events.some((e) => e.type === 'sync')).toBe(true);
  });

  it('several connections of one user are one member; closing one keeps the member', async () => {
    const tab1 = await ctx.connected({ clientId: 'm-alice' });
    const tab2 = await ctx.connected({ clientId: 'm-alice' });
    const bob = await ctx.connected({ clientId: 'm-bob' });
    const name = ctx.channelName('multi');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await tab1.channel(name).presence.enter({ device: 'laptop' });
    await tab2.channel(name).presence.enter({ device: 'laptop' });
    await expect.poll(() => seen.presence.getSnapshot()[0]?.connections).toBe(2);
    expect(seen.members()).toEqual([{ clientId: 'm-alice', data: { device: 'laptop' } }]);
    // A late subscriber's snapshot (sync) folds the two connections the same way.
    const carol = await ctx.connected({ clientId: 'm-carol' });
    const late = watch(carol, name);
    await expect
      .poll(() => late.presence.getSnapshot().map((m) => [m.clientId, m.connections]))
      .toEqual([['m-alice', 2]]);
    tab1.close();
    await expect.poll(() => seen.presence.getSnapshot()[0]?.connections).toBe(1);
    expect(seen.members()).toEqual([{ clientId: 'm-alice', data: { device: 'laptop' } }]);
    expect(seen.types()).not.toContain('leave');
  });

  it('a member whose link dropped is back after the reconnect with no app code', async () => {
    const alice = await ctx.connected({ clientId: 'r-alice' });
    const bob = await ctx.connected({ clientId: 'r-bob' });
    const name = ctx.channelName('reenter');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ mood: 'ok' });
    await expect.poll(() => seen.members().length).toBe(1);
    await ctx.drop(alice);
    await ctx.reconnected(alice);
    await waitFor(
      'alice to be present again',
      () =>
        seen.members().some((m) => m.clientId === 'r-alice') &&
        alice
          .channel(name)
          .presence.getSnapshot()
          .some((m) => m.clientId === 'r-alice'),
    );
    expect(seen.members()).toEqual([{ clientId: 'r-alice', data: { mood: 'ok' } }]);
  });

  it('presence identity comes from auth, never from the payload', async () => {
    const alice = await ctx.connected({ clientId: 'id-alice' });
    const bob = await ctx.connected({ clientId: 'id-bob' });
    const name = ctx.channelName('identity');
    const seen = watch(bob, name);
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ clientId: 'id-bob', name: 'Mallory' });
    await expect.poll(() => seen.members().length).toBe(1);
    expect(seen.members()[0]?.clientId).toBe('id-alice');
  });

  it('the members store includes this client once it has entered', async () => {
    const alice = await ctx.connected({ clientId: 'self-alice' });
    const name = ctx.channelName('self');
    const seen = watch(alice, name);
    await alice.channel(name).presence.enter({ me: true });
    await expect.poll(seen.members).toEqual([{ clientId: 'self-alice', data: { me: true } }]);
  });
}
