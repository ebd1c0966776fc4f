import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';

export function channelNameTests(ctx: SuiteContext): void {
  it('names outside the portable set are rejected before reaching the provider', async () => {
    const client = await ctx.connected();
    for (const bad of [
      'has space',
      'emoji-🙂',
      'slash/name',
      '',
      'x'.repeat(165),
      'private-room',
      'presence-room',
    ]) {
      expect(() => client.channel(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'invalid_channel_name' }),
      );
    }
  });

  it('every portable character works end to end', async () => {
    const client = await ctx.connected();
    const name = `${ctx.channelName('Az09')}_-=@,.;`;
    const received = await ctx.subscribed(client, name, 'e');
    await client.channel(name).publish('e', 'ok');
    await ctx.harness.serverPublish(name, 'e', 'server-ok');
    await expect.poll(() => received.data).toEqual(['ok', 'server-ok']);
  });

  it('a 164-character name (the limit) works', async () => {
    const client = await ctx.connected();
    const base = ctx.channelName('long');
    const name = base + 'x'.repeat(164 - base.length);
    const received = await ctx.subscribed(client, name, 'e');
    await client.channel(name).publish('e', 1);
    await expect.poll(() => received.data).toEqual([1]);
  });
}
