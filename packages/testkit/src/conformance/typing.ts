import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep } from '../waitFor.js';

export function typingTests(ctx: SuiteContext): void {
  it('start() shows the typist to others; stop() hides them', async () => {
    const alice = await ctx.connected({ clientId: 't-alice' });
    const bob = await ctx.connected({ clientId: 't-bob' });
    const name = ctx.channelName('typing');
    bob.channel(name).typing.subscribe(() => {});
    alice.channel(name).hold();
    await Promise.all([bob.channel(name).ready(), alice.channel(name).ready()]);
    alice.channel(name).typing.start();
    await expect.poll(() => bob.channel(name).typing.getSnapshot()).toEqual(['t-alice']);
    alice.channel(name).typing.stop();
    await expect.poll(() => bob.channel(name).typing.getSnapshot()).toEqual([]);
  });

  it('typing stops by itself after the timeout when the typist goes quiet', async () => {
    const alice = await ctx.connected({
      clientId: 'te-alice',
      typing: { timeoutMs: 150, throttleMs: 50 },
    });
    const bob = await ctx.connected({
      clientId: 'te-bob',
      typing: { timeoutMs: 150, throttleMs: 50 },
    });
    const name = ctx.channelName('typing-expiry');
    bob.channel(name).typing.subscribe(() => {});
    await bob.channel(name).ready();
    alice.channel(name).hold();
    await alice.channel(name).ready();
    alice.channel(name).typing.start();
    await expect.poll(() => bob.channel(name).typing.getSnapshot()).toEqual(['te-alice']);
    await expect.poll(() => bob.channel(name).typing.getSnapshot(), { timeout: 2_000 }).toEqual([]);
  });

  it('a typist whose stop never arrives expires on the receiver', async () => {
    const alice = await ctx.connected({
      clientId: 'tx-alice',
      typing: { timeoutMs: 60_000, throttleMs: 50 },
    });
    const bob = await ctx.connected({
      clientId: 'tx-bob',
      typing: { timeoutMs: 150, throttleMs: 50 },
    });
    const name = ctx.channelName('typing-lost');
    bob.channel(name).typing.subscribe(() => {});
    await bob.channel(name).ready();
    alice.channel(name).hold();
    await alice.channel(name).ready();
    alice.channel(name).typing.start();
    await expect.poll(() => bob.channel(name).typing.getSnapshot()).toEqual(['tx-alice']);
    // Alice's link dies without a stop: Bob's store must not show her typing forever.
    await ctx.harness.blackholeLink(alice);
    await expect.poll(() => bob.channel(name).typing.getSnapshot(), { timeout: 2_000 }).toEqual([]);
  });

  it('the typist does not see themselves, and typing signals never reach message handlers', async () => {
    const alice = await ctx.connected({ clientId: 'ts-alice' });
    const bob = await ctx.connected({ clientId: 'ts-bob' });
    const name = ctx.channelName('typing-self');
    const everything = await ctx.subscribed(bob, name);
    alice.channel(name).typing.subscribe(() => {});
    await alice.channel(name).ready();
    bob.channel(name).typing.subscribe(() => {});
    alice.channel(name).typing.start();
    await expect.poll(() => bob.channel(name).typing.getSnapshot()).toEqual(['ts-alice']);
    await sleep(30);
    expect(alice.channel(name).typing.getSnapshot()).toEqual([]);
    expect(everything.messages).toEqual([]);
  });
}
