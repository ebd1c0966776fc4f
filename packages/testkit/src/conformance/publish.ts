import { isRealtimeError } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';

export function publishTests(ctx: SuiteContext): void {
  it('publish resolves once the provider has it, and subscribers receive it', async () => {
    const sender = await ctx.connected();
    const receiver = await ctx.connected();
    const name = ctx.channelName('pub');
    const received = await ctx.subscribed(receiver, name, 'chat');
    await sender.channel(name).publish('chat', { text: 'hi' });
    await expect.poll(() => received.data).toEqual([{ text: 'hi' }]);
  });

  it('every message carries an id: generated when absent, kept when given', async () => {
    const sender = await ctx.connected();
    const name = ctx.channelName('ids');
    const received = await ctx.subscribed(sender, name, 'e');
    await sender.channel(name).publish('e', 1);
    await sender.channel(name).publish('e', 2, { id: 'my-id-2' });
    await expect.poll(() => received.messages.length).toBe(2);
    const [first, second] = received.messages;
    expect(first?.id).toMatch(/\S{8,}/);
    expect(second?.id).toBe('my-id-2');
  });

  it('a publish the provider refuses (NACK) rejects with a typed error (or resolves on hand-off without acks)', async () => {
    const client = await ctx.connected({ clientId: 'nack-user' });
    const name = ctx.channelName('nack');
    await ctx.rejectAuth({ channel: name, action: 'publish' });
    const error = await client
      .channel(name)
      .publish('e', 1)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (!client.capabilities.publishAck) {
      // Declared: without acks the provider's refusal cannot reach the publisher.
      expect(error).toBeUndefined();
      return;
    }
    expect(isRealtimeError(error)).toBe(true);
    expect(['auth_rejected', 'publish_rejected']).toContain((error as { code: string }).code);
    // A refused publish does not break the connection.
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect(client.queue.getSnapshot().size).toBe(0);
  });

  it('a publish the provider never answers rejects with PublishTimeoutError (or resolves on hand-off without acks)', async () => {
    const client = await ctx.connected({ publishTimeoutMs: 300 });
    await ctx.harness.blackholeLink(client);
    const outcome = client
      .channel(ctx.channelName('timeout'))
      .publish('e', 1)
      .then(
        () => 'resolved',
        (e: unknown) => e,
      );
    if (client.capabilities.publishAck) {
      await expect(outcome).resolves.toMatchObject({ code: 'publish_timeout', retryable: true });
    } else {
      await expect(outcome).resolves.toBe('resolved');
    }
  });

  it('a message over the provider limit is rejected with MessageTooLargeError before sending', async () => {
    const client = await ctx.connected();
    const big = 'x'.repeat(client.capabilities.maxMessageBytes + 1);
    await expect(client.channel(ctx.channelName('big')).publish('e', big)).rejects.toMatchObject({
      code: 'message_too_large',
    });
    expect(client.queue.getSnapshot().size).toBe(0);
  });

  it('a payload that is not JSON-serializable is rejected with a ValidationError', async () => {
    const client = await ctx.connected();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(
      client.channel(ctx.channelName('circ')).publish('e', circular),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('reserved event names (patchbay:…) are refused', async () => {
    const client = await ctx.connected();
    await expect(
      client.channel(ctx.channelName('reserved')).publish('patchbay:typing', {}),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('a publish without data arrives as null on every provider', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('no-data');
    const received = await ctx.subscribed(client, name, 'ping');
    await client.channel(name).publish('ping', undefined);
    await expect.poll(() => received.messages.length).toBe(1);
    expect(received.data).toEqual([null]);
  });
}
