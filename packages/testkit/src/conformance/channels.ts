import { expect, it } from 'vitest';
import { collect, type SuiteContext } from '../internal/context.js';
import { waitFor } from '../waitFor.js';

export function channelTests(ctx: SuiteContext): void {
  it('many subscribers on one channel make one provider subscription', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('refs');
    const channel = client.channel(name);
    channel.subscribe('a', () => {});
    channel.subscribe('b', () => {});
    channel.subscribe(() => {});
    await channel.ready();
    expect(client.channel(name)).toBe(channel);
    expect(await ctx.harness.providerSubscriptionCount(name)).toBe(1);
  });

  it('the provider subscription ends only when the last subscriber leaves', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('release');
    const channel = client.channel(name);
    const offA = channel.subscribe('a', () => {});
    const offB = channel.subscribe('b', () => {});
    await channel.ready();
    offA();
    offA(); // idempotent: a second call must not release someone else's reference
    expect(channel.state.getSnapshot().state).toBe('attached');
    expect(await ctx.harness.providerSubscriptionCount(name)).toBe(1);
    offB();
    await expect.poll(() => channel.state.getSnapshot().state).toBe('detached');
    await waitFor(
      'the provider subscription to end',
      async () => (await ctx.harness.providerSubscriptionCount(name)) === 0,
    );
  });

  it('removing one handler keeps the others receiving', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('sibling');
    const channel = client.channel(name);
    const first = collect(channel, 'note');
    const second = collect(channel, 'note');
    await channel.ready();
    first.stop();
    await ctx.harness.serverPublish(name, 'note', 'hello');
    await expect.poll(() => second.data).toEqual(['hello']);
    expect(first.data).toEqual([]);
  });

  it('after a reconnect every live channel is resubscribed with no app code', async () => {
    const client = await ctx.connected();
    const one = ctx.channelName('resub-a');
    const two = ctx.channelName('resub-b');
    const a = await ctx.subscribed(client, one, 'x');
    const b = await ctx.subscribed(client, two, 'x');
    await ctx.drop(client);
    await ctx.reconnected(client);
    await Promise.all([client.channel(one).ready(), client.channel(two).ready()]);
    await ctx.harness.serverPublish(one, 'x', 1);
    await ctx.harness.serverPublish(two, 'x', 2);
    await expect.poll(() => [a.data, b.data]).toEqual([[1], [2]]);
    expect(await ctx.harness.providerSubscriptionCount(one)).toBe(1);
  });

  it('a channel subscribed before connect() attaches once connected', async () => {
    const client = await ctx.client();
    const name = ctx.channelName('early');
    const received = collect(client.channel(name), 'hi');
    await client.connect();
    await client.channel(name).ready();
    await ctx.harness.serverPublish(name, 'hi', 'there');
    await expect.poll(() => received.data).toEqual(['there']);
  });

  it('a released channel can be subscribed again and receives again', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('again');
    const first = await ctx.subscribed(client, name, 'n');
    first.stop();
    const second = await ctx.subscribed(client, name, 'n');
    await ctx.harness.serverPublish(name, 'n', 7);
    await expect.poll(() => second.data).toEqual([7]);
    expect(first.data).toEqual([]);
  });

  it('a release and a new hold in the same task keep the one subscription (StrictMode remount)', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('remount');
    const channel = client.channel(name);
    const received = collect(channel, 'e');
    await channel.ready();
    const states: string[] = [];
    channel.state.subscribe(() => states.push(channel.state.getSnapshot().state));
    received.stop();
    const again = collect(channel, 'e');
    await ctx.harness.serverPublish(name, 'e', 'still here');
    await expect.poll(() => again.data).toEqual(['still here']);
    expect(states).toEqual([]);
    expect(await ctx.harness.providerSubscriptionCount(name)).toBe(1);
  });
}
