import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep } from '../waitFor.js';

export function echoTests(ctx: SuiteContext): void {
  it('by default a publisher receives its own messages', async () => {
    const client = await ctx.connected();
    const name = ctx.channelName('echo-on');
    const received = await ctx.subscribed(client, name, 'e');
    await client.channel(name).publish('e', 'mine');
    await expect.poll(() => received.data).toEqual(['mine']);
  });

  it('echo: false suppresses own messages; the same user on another connection still gets them', async () => {
    const quiet = await ctx.connected({ clientId: 'echo-user', echo: false });
    const otherTab = await ctx.connected({ clientId: 'echo-user' });
    const name = ctx.channelName('echo-off');
    const own = await ctx.subscribed(quiet, name, 'e');
    const tab = await ctx.subscribed(otherTab, name, 'e');
    await quiet.channel(name).publish('e', 'from-quiet');
    // Order is promised per publisher only: let the first arrive before the server publishes.
    await expect.poll(() => tab.data).toEqual(['from-quiet']);
    await ctx.harness.serverPublish(name, 'e', 'from-server');
    await expect.poll(() => tab.data).toEqual(['from-quiet', 'from-server']);
    await expect.poll(() => own.data).toEqual(['from-server']);
    await sleep(30);
    expect(own.data).toEqual(['from-server']);
  });
}
