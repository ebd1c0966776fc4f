import { defineChannel } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import { z } from 'zod';
import type { SuiteContext } from '../internal/context.js';
import { sleep } from '../waitFor.js';

export function schemaTests(ctx: SuiteContext): void {
  it('outgoing data that fails the schema throws ValidationError with the path, and nothing is sent', async () => {
    const name = ctx.channelName('schema-out');
    const room = defineChannel(name, {
      message: z.object({ text: z.string().min(1), tags: z.array(z.string()) }),
    });
    const sender = await ctx.connected();
    const receiver = await ctx.connected();
    const received = await ctx.subscribed(receiver, name);
    const bad = { text: 'hi', tags: ['ok', 42] } as unknown as { text: string; tags: string[] };
    const error = await sender
      .channel(room)
      .publish('message', bad)
      .then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; issues: Array<{ path: string }> },
      );
    expect(error?.code).toBe('validation_failed');
    expect(error?.issues.map((i) => i.path)).toEqual(['tags[1]']);
    expect(error?.message).toContain('tags[1]');
    await sender.channel(room).publish('message', { text: 'valid', tags: [] });
    await expect.poll(() => received.data).toEqual([{ text: 'valid', tags: [] }]);
  });

  it('incoming data that fails the schema is dropped and reported on client error, and delivery goes on', async () => {
    const name = ctx.channelName('schema-in');
    const room = defineChannel(name, { score: z.object({ points: z.number().int() }) });
    const receiver = await ctx.connected();
    const errors: Array<{ code: string; message: string }> = [];
    receiver.on('error', (error) => errors.push(error));
    const points: number[] = [];
    receiver.channel(room).subscribe('score', (message) => points.push(message.data.points));
    await receiver.channel(room).ready();
    await ctx.harness.serverPublish(name, 'score', { points: 'lots' });
    await ctx.harness.serverPublish(name, 'score', { points: 3 });
    await expect.poll(() => points).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('validation_failed');
    expect(errors[0]?.message).toContain('points');
    await sleep(10);
    expect(receiver.connection.getSnapshot().state).toBe('connected');
  });

  it('schemas registered with createRealtime({ schemas }) also validate channels opened by name', async () => {
    const name = ctx.channelName('schema-registry');
    const room = defineChannel(name, { ping: z.object({ at: z.number() }) });
    const client = await ctx.connected({ schemas: [room] });
    await expect(client.channel(name).publish('ping', { at: 'now' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(client.channel(name).publish('unknown-event', {})).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
}
