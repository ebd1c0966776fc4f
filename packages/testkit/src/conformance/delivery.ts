import { expect, it } from 'vitest';
import { collect, type SuiteContext } from '../internal/context.js';
import { sleep } from '../waitFor.js';

export function deliveryTests(ctx: SuiteContext): void {
  it('handlers get the envelope { id, channel, event, data, clientId, timestamp }', async () => {
    const sender = await ctx.connected({ clientId: 'env-sender' });
    const receiver = await ctx.connected();
    const name = ctx.channelName('envelope');
    const received = await ctx.subscribed(receiver, name, 'greet');
    const before = Date.now();
    await sender.channel(name).publish('greet', { hello: 'world' }, { id: 'env-1' });
    await expect.poll(() => received.messages.length).toBe(1);
    const [message] = received.messages;
    expect(message).toMatchObject({
      id: 'env-1',
      channel: name,
      event: 'greet',
      data: { hello: 'world' },
      clientId: 'env-sender',
    });
    expect(message?.timestamp).toBeGreaterThan(before - 60_000);
    expect(message?.timestamp).toBeLessThan(Date.now() + 60_000);
  });

  it('server-side publishes reach subscribers, without a clientId', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('server');
    const received = await ctx.subscribed(receiver, name, 'news');
    await ctx.harness.serverPublish(name, 'news', { n: 1 });
    await expect.poll(() => received.messages.length).toBe(1);
    expect(received.messages[0]).toMatchObject({ event: 'news', data: { n: 1 } });
    expect(received.messages[0]?.clientId).toBeUndefined();
  });

  it('a message id delivered twice reaches handlers once', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('dupe');
    const received = await ctx.subscribed(receiver, name, 'd');
    await ctx.harness.serverPublish(name, 'd', 'first', { id: 'dup-1' });
    await ctx.harness.serverPublish(name, 'd', 'again', { id: 'dup-1' });
    await ctx.harness.serverPublish(name, 'd', 'next', { id: 'dup-2' });
    await expect.poll(() => received.messages.map((m) => m.id)).toEqual(['dup-1', 'dup-2']);
    await sleep(50);
    expect(received.data).toEqual(['first', 'next']);
  });

  it('order from one publisher on one channel is preserved', async () => {
    const sender = await ctx.connected();
    const receiver = await ctx.connected();
    const name = ctx.channelName('order');
    const received = await ctx.subscribed<number>(receiver, name, 'seq');
    const count = 100;
    await Promise.all(
      Array.from({ length: count }, (_, i) => sender.channel(name).publish('seq', i)),
    );
    await expect.poll(() => received.data.length, { timeout: 8_000 }).toBe(count);
    expect(received.data).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('an event handler sees only its event; a catch-all handler sees every event', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('filter');
    const channel = receiver.channel(name);
    const onlyA = collect(channel, 'a');
    const all = collect(channel);
    await channel.ready();
    await ctx.harness.serverPublish(name, 'a', 1);
    await ctx.harness.serverPublish(name, 'b', 2);
    await expect.poll(() => all.messages.map((m) => m.event)).toEqual(['a', 'b']);
    expect(onlyA.data).toEqual([1]);
  });

  it('a handler that throws does not stop delivery to other handlers, and is reported', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('throws');
    const channel = receiver.channel(name);
    const errors: Array<{ code: string; cause?: unknown }> = [];
    receiver.on('error', (error) => errors.push(error));
    channel.subscribe('x', () => {
      throw new Error('app bug');
    });
    const other = collect(channel, 'x');
    await channel.ready();
    await ctx.harness.serverPublish(name, 'x', 1);
    await ctx.harness.serverPublish(name, 'x', 2);
    await expect.poll(() => other.data).toEqual([1, 2]);
    expect(errors.map((e) => e.code)).toEqual(['handler_failed', 'handler_failed']);
    expect(errors[0]?.cause).toMatchObject({ message: 'app bug' });
    expect(receiver.connection.getSnapshot().state).toBe('connected');
  });
}
