import type { DiscontinuityEvent } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import { SLOW_RECONNECT, type SuiteContext } from '../internal/context.js';
import { sleep, waitFor } from '../waitFor.js';
import { expectMissedReplayedOrDeclared } from './missedMessages.js';

/** How long the network is gone in the truncated-gap test: far longer than a publish takes. */
const AWAY_MS = 2_000;

export function recoveryTests(ctx: SuiteContext): void {
  it('messages missed while the link was down are replayed in order, once — or a discontinuity is emitted', async () => {
    await expectMissedReplayedOrDeclared(ctx, {
      label: 'missed',
      subscriber: SLOW_RECONNECT,
      outage: async (subscriber) => {
        await ctx.drop(subscriber);
        return () => ctx.reconnected(subscriber);
      },
    });
  });

  it('a link cut mid-stream: every message once, in order — or a declared discontinuity', async () => {
    const subscriber = await ctx.connected();
    const publisher = await ctx.connected();
    const name = ctx.channelName('mid-stream');
    const received = await ctx.subscribed<number>(subscriber, name, 'n');
    const gaps: DiscontinuityEvent[] = [];
    subscriber.channel(name).on('discontinuity', (event) => gaps.push(event));

    // The link is cut while messages are on their way, and publishing goes on through the cut.
    const total = 150;
    for (let n = 0; n < 50; n++) await publisher.channel(name).publish('n', n);
    await expect.poll(() => received.data.length, { timeout: 8_000 }).toBeGreaterThanOrEqual(30);
    const cut = ctx.drop(subscriber);
    for (let n = 50; n < total; n++) await publisher.channel(name).publish('n', n);
    await cut;
    await ctx.reconnected(subscriber);
    await subscriber.channel(name).ready();
    await publisher.channel(name).publish('n', total);

    const everything = Array.from({ length: total + 1 }, (_, n) => n);
    if (subscriber.capabilities.recovery) {
      await expect.poll(() => received.data, { timeout: 8_000 }).toEqual(everything);
      expect(gaps).toEqual([]);
    } else {
      await expect.poll(() => received.data.at(-1), { timeout: 8_000 }).toBe(total);
      // Whatever arrived arrived once and in order; anything lost was declared.
      expect(received.data).toEqual([...new Set(received.data)].sort((a, b) => a - b));
      if (received.data.length < everything.length) {
        expect(gaps.length).toBeGreaterThan(0);
        for (const gap of gaps)
          expect(gap).toEqual({ channel: name, reason: 'provider-cannot-replay' });
      }
    }
  });

  it('a reconnect with nothing missed is seamless where recovery exists, and a declared discontinuity where not', async () => {
    const subscriber = await ctx.connected();
    const name = ctx.channelName('nothing-missed');
    await ctx.subscribed(subscriber, name);
    const gaps: DiscontinuityEvent[] = [];
    subscriber.channel(name).on('discontinuity', (event) => gaps.push(event));
    await ctx.drop(subscriber);
    await ctx.reconnected(subscriber);
    await subscriber.channel(name).ready();
    await sleep(30);
    expect(gaps.length).toBe(subscriber.capabilities.recovery ? 0 : 1);
  });

  it('a gap older than the server keeps emits a discontinuity instead of silent loss', async () => {
    const subscriber = await ctx.connected(SLOW_RECONNECT);
    const name = ctx.channelName('gap');
    const received = await ctx.subscribed(subscriber, name, 'n');
    // The subscriber has a position on the channel (it received a message) that the server's
    // history no longer reaches after the truncation.
    await ctx.harness.serverPublish(name, 'n', 0);
    await expect.poll(() => received.data).toEqual([0]);
    const gaps: DiscontinuityEvent[] = [];
    subscriber.channel(name).on('discontinuity', (event) => gaps.push(event));
    // The network stays away while the server publishes and forgets. A dropped link is not
    // enough: a vendor client that reconnects at once by itself (ably-js retries a dropped
    // connection immediately and resumes it) can be back before the publish, receive it live
    // and rightly report no gap.
    const back = ctx.blip(subscriber, AWAY_MS);
    back.catch(() => {});
    await waitFor('the subscriber to notice the cut', () =>
      subscriber.connection.getSnapshot().state !== 'connected' ? true : undefined,
    );
    await ctx.harness.serverPublish(name, 'n', 1);
    await ctx.harness.truncateHistory(name);
    expect(
      subscriber.connection.getSnapshot().state,
      'the subscriber is still away when the server forgets message 1',
    ).not.toBe('connected');
    await back;
    await subscriber.channel(name).ready();
    await expect.poll(() => gaps.length).toBe(1);
    expect(gaps[0]?.channel).toBe(name);
    // Message 1 is declared lost, not replayed from somewhere the server no longer has it.
    expect(received.data).toEqual([0]);
  });

  it('a channel subscribed after a reconnect gets no discontinuity (it never had continuity to lose)', async () => {
    const client = await ctx.connected();
    await ctx.drop(client);
    await ctx.reconnected(client);
    const name = ctx.channelName('fresh');
    const gaps: DiscontinuityEvent[] = [];
    client.channel(name).on('discontinuity', (event) => gaps.push(event));
    await ctx.subscribed(client, name);
    await sleep(30);
    expect(gaps).toEqual([]);
  });
}
