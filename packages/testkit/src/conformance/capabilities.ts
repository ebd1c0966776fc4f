import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';

const FIELDS = [
  'clientPublish',
  'publishAck',
  'presence',
  'presenceUpdate',
  'history',
  'recovery',
  'echoControl',
] as const;

export function capabilityTests(ctx: SuiteContext): void {
  it('declares every capability', async () => {
    const client = await ctx.client();
    for (const field of FIELDS) expect(typeof client.capabilities[field], field).toBe('boolean');
    expect(client.capabilities.maxMessageBytes).toBeGreaterThanOrEqual(1024);
    expect(client.provider).toMatch(/^[a-z]+$/);
  });

  it('history returns past messages oldest first, or throws NotSupportedError naming the provider', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('history');
    await client.channel(name).publish('h', 1);
    await client.channel(name).publish('h', 2);
    if (client.capabilities.history) {
      const past = await client.channel(name).history({ limit: 10 });
      expect(past.map((m) => m.data)).toEqual([1, 2]);
      expect(past[0]).toMatchObject({ channel: name, event: 'h' });
    } else {
      await expect(client.channel(name).history()).rejects.toMatchObject({
        code: 'not_supported',
        message: expect.stringContaining(client.provider),
      });
    }
  });

  it('presence update works natively or is emulated: either way members see an update', async () => {
    const alice = await ctx.connected({ clientId: 'cap-alice' });
    const bob = await ctx.connected({ clientId: 'cap-bob' });
    const name = ctx.channelName('cap-update');
    const types: string[] = [];
    bob.channel(name).presence.onEvent((event) => types.push(event.type));
    bob.channel(name).presence.subscribe(() => {});
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ v: 1 });
    await expect.poll(() => bob.channel(name).presence.getSnapshot()[0]?.data).toEqual({ v: 1 });
    await alice.channel(name).presence.update({ v: 2 });
    await expect.poll(() => bob.channel(name).presence.getSnapshot()[0]?.data).toEqual({ v: 2 });
    expect(types.filter((t) => t !== 'sync')).toEqual(['enter', 'update']);
  });

  it('a member joining after an update sees the latest data, not the data entered with', async () => {
    const alice = await ctx.connected({ clientId: 'late-alice' });
    const name = ctx.channelName('cap-late');
    await alice.channel(name).presence.enter({ v: 1 });
    await alice.channel(name).presence.update({ v: 2 });
    const carol = await ctx.connected({ clientId: 'late-carol' });
    carol.channel(name).presence.subscribe(() => {});
    await expect
      .poll(
        () =>
          carol
            .channel(name)
            .presence.getSnapshot()
            .find((m) => m.clientId === 'late-alice')?.data,
      )
      .toEqual({ v: 2 });
  });
}
