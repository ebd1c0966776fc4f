import type { PresenceEvent } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep, waitFor } from '../waitFor.js';
import { expectMissedReplayedOrDeclared } from './missedMessages.js';

/** How long the network is gone: a Wi-Fi hiccup, well within every provider's presence grace. */
const CUT_MS = 2_000;

/**
 * A short loss of network, as users have it: the client must come back by itself, others must
 * not see it leave, and what was published meanwhile arrives once or is declared lost.
 */
export function blipTests(ctx: SuiteContext): void {
  it('a 2 s link cut walks connected → reconnecting → connected, with attempts counting up', async () => {
    const client = await ctx.connected();
    const { states, maxAttempt } = await ctx.blip(client, CUT_MS);
    expect(states[0]).toBe('connected');
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    expect(states).not.toContain('failed');
    expect(maxAttempt).toBeGreaterThanOrEqual(2);
    expect(client.connection.getSnapshot().attempt).toBe(0);
  });

  it('a member whose link is cut for 2 s is never seen leaving or entering again by others', async () => {
    const alice = await ctx.connected({ clientId: 'blip-alice' });
    const bob = await ctx.connected({ clientId: 'blip-bob' });
    const name = ctx.channelName('blip-presence');
    const events: PresenceEvent[] = [];
    const watched = bob.channel(name).presence;
    watched.onEvent((event) => events.push(event));
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({ mood: 'here' });
    await expect.poll(() => watched.getSnapshot().map((m) => m.clientId)).toEqual(['blip-alice']);

    await ctx.blip(alice, CUT_MS);
    await waitFor('alice to see herself present again', () =>
      alice
        .channel(name)
        .presence.getSnapshot()
        .some((m) => m.clientId === 'blip-alice'),
    );
    // Long enough for a late leave or a re-enter to reach bob (but within every grace).
    await sleep(500);
    expect(events.filter((e) => e.type !== 'sync').map((e) => e.type)).toEqual(['enter']);
    expect(watched.getSnapshot().map((m) => [m.clientId, m.data])).toEqual([
      ['blip-alice', { mood: 'here' }],
    ]);
  });

  it('messages published during a 2 s cut arrive exactly once, or a discontinuity says they may not', async () => {
    await expectMissedReplayedOrDeclared(ctx, {
      label: 'blip-messages',
      subscriber: { clientId: 'blip-reader' },
      publisher: { clientId: 'blip-writer' },
      outage: async (subscriber) => {
        const back = ctx.blip(subscriber, CUT_MS);
        await waitFor('the subscriber to notice the cut', () =>
          subscriber.connection.getSnapshot().state !== 'connected' ? true : undefined,
        );
        return () => back;
      },
    });
  });

  it('a deliberate leave or close is shown to others at once, not after the grace', async () => {
    const alice = await ctx.connected({ clientId: 'bye-alice' });
    const carol = await ctx.connected({ clientId: 'bye-carol' });
    const bob = await ctx.connected({ clientId: 'bye-bob', presence: { leaveGraceMs: 60_000 } });
    const name = ctx.channelName('blip-bye');
    const watched = bob.channel(name).presence;
    watched.subscribe(() => {});
    await bob.channel(name).ready();
    await alice.channel(name).presence.enter({});
    await carol.channel(name).presence.enter({});
    await expect.poll(() => watched.getSnapshot().length).toBe(2);
    await alice.channel(name).presence.leave();
    carol.close();
    // A held leave would take 60 s (bob's grace) where the provider has none of its own; the
    // hub's and Ably's graces do not apply to deliberate leaves either.
    await expect.poll(() => watched.getSnapshot().length, { timeout: 4_000 }).toBe(0);
  });
}
