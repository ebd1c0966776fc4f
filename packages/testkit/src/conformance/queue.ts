import { expect, it } from 'vitest';
import { SLOW_RECONNECT, type SuiteContext } from '../internal/context.js';
import { waitForState } from '../waitFor.js';

export function queueTests(ctx: SuiteContext): void {
  it('publishes made while reconnecting are queued and flushed in order after reconnect', async () => {
    const receiver = await ctx.connected();
    const sender = await ctx.connected(SLOW_RECONNECT);
    const name = ctx.channelName('queue');
    const received = await ctx.subscribed<number>(receiver, name, 'n');
    await ctx.drop(sender);
    const sent = [1, 2, 3, 4, 5].map((n) => sender.channel(name).publish('n', n));
    expect(sender.queue.getSnapshot().size).toBe(5);
    await Promise.all(sent);
    await expect.poll(() => received.data, { timeout: 8_000 }).toEqual([1, 2, 3, 4, 5]);
    expect(sender.queue.getSnapshot().size).toBe(0);
  });

  it('publishes made before the first connect are sent once connected', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('before');
    const received = await ctx.subscribed(receiver, name, 'early');
    const sender = await ctx.client();
    const sent = sender.channel(name).publish('early', 'bird');
    expect(sender.queue.getSnapshot().size).toBe(1);
    await sender.connect();
    await sent;
    await expect.poll(() => received.data).toEqual(['bird']);
  });

  it('a link dropped mid-flush still delivers every queued message exactly once, in order (at most once without acks)', async () => {
    const receiver = await ctx.connected();
    const sender = await ctx.connected(SLOW_RECONNECT);
    const name = ctx.channelName('midflush');
    const received = await ctx.subscribed<number>(receiver, name, 'n');
    await ctx.drop(sender);
    const count = 30;
    const sent = Array.from({ length: count }, (_, i) => sender.channel(name).publish('n', i));
    let dropped = false;
    let dropping: Promise<void> = Promise.resolve();
    const off = sender.queue.subscribe(() => {
      if (!dropped && sender.queue.getSnapshot().sending > 0) {
        dropped = true;
        dropping = ctx.drop(sender);
      }
    });
    await Promise.all(sent);
    off();
    await dropping;
    expect(dropped).toBe(true);
    const expected = Array.from({ length: count }, (_, i) => i);
    if (sender.capabilities.publishAck) {
      await expect.poll(() => received.data, { timeout: 8_000 }).toEqual(expected);
    } else {
      // Declared: a message handed to a provider without acks can die with the link. What
      // arrives still arrives once and in order.
      await ctx.reconnected(sender);
      await sender.channel(name).publish('n', count);
      await expect.poll(() => received.data.at(-1), { timeout: 8_000 }).toBe(count);
      expect(received.data).toEqual([...received.data].sort((a, b) => a - b));
      expect(new Set(received.data).size).toBe(received.data.length);
    }
  });

  it('the publish beyond queue.maxSize rejects with QueueOverflowError and nothing queued is lost', async () => {
    const receiver = await ctx.connected();
    const name = ctx.channelName('overflow');
    const received = await ctx.subscribed(receiver, name, 'n');
    const sender = await ctx.client({ queue: { maxSize: 3 } });
    const sent = [1, 2, 3].map((n) => sender.channel(name).publish('n', n));
    await expect(sender.channel(name).publish('n', 4)).rejects.toMatchObject({
      code: 'queue_overflow',
      message: expect.stringMatching(/queue\.maxSize/),
    });
    await sender.connect();
    await Promise.all(sent);
    await expect.poll(() => received.data).toEqual([1, 2, 3]);
  });

  it('the queue store reports what is waiting, and 0 once flushed', async () => {
    const sender = await ctx.client();
    const name = ctx.channelName('status');
    const sizes: number[] = [];
    sender.queue.subscribe(() => sizes.push(sender.queue.getSnapshot().size));
    const sent = [sender.channel(name).publish('a', 1), sender.channel(name).publish('a', 2)];
    expect(sender.queue.getSnapshot()).toMatchObject({ size: 2, sending: 0 });
    await sender.connect();
    await Promise.all(sent);
    await waitForState(sender, 'connected');
    expect(sender.queue.getSnapshot()).toMatchObject({ size: 0, sending: 0 });
    expect(sizes.slice(0, 2)).toEqual([1, 2]);
    expect(sizes.at(-1)).toBe(0);
  });
}
