import type { ChannelTyping } from '@patchbay/realtime-core';
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
    const shown = recordTyping(bob.channel(name).typing);
    await bob.channel(name).ready();
    alice.channel(name).hold();
    await alice.channel(name).ready();
    alice.channel(name).typing.start();
    // Shown for ~150 ms only: read from what the store held, not from a poll that can miss it.
    await expect.poll(() => shown).toContainEqual(['te-alice']);
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
    const shown = recordTyping(bob.channel(name).typing);
    await bob.channel(name).ready();
    alice.channel(name).hold();
    await alice.channel(name).ready();
    alice.channel(name).typing.start();
    // Bob expires a silent typist after his timeout + throttle (200 ms): possibly before a poll.
    await expect.poll(() => shown).toContainEqual(['tx-alice']);
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

/** Watch a typing store (which keeps the channel attached) and keep every state it held. */
function recordTyping(typing: ChannelTyping): string[][] {
  const shown: string[][] = [];
  typing.subscribe(() => shown.push([...typing.getSnapshot()]));
  return shown;
}
