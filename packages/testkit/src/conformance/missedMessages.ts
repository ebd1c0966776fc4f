import type { DiscontinuityEvent, RealtimeClient, RealtimeOptions } from '@patchbay/realtime-core';
import { expect } from 'vitest';
import type { SuiteContext } from '../internal/context.js';

export interface MissedMessagesScenario {
  /** Channel label. */
  label: string;
  subscriber?: Partial<RealtimeOptions> & { clientId?: string };
  publisher?: { clientId?: string };
  /** Take the subscriber's link away; resolves once it is away, with a wait for its return. */
  outage(subscriber: RealtimeClient): Promise<() => Promise<unknown>>;
}

/**
 * The recovery contract for one kind of outage: message 0 before, 1–5 while the subscriber is
 * away, 6 after. Where the provider recovers, the subscriber gets 0–6 once, in order, with no
 * discontinuity; where it cannot, one `provider-cannot-replay` discontinuity, and whatever did
 * arrive arrived once and in order.
 */
export async function expectMissedReplayedOrDeclared(
  ctx: SuiteContext,
  scenario: MissedMessagesScenario,
): Promise<void> {
  const subscriber = await ctx.connected(scenario.subscriber);
  const publisher = await ctx.connected(scenario.publisher);
  const name = ctx.channelName(scenario.label);
  const received = await ctx.subscribed<number>(subscriber, name, 'n');
  const gaps: DiscontinuityEvent[] = [];
  subscriber.channel(name).on('discontinuity', (event) => gaps.push(event));
  await publisher.channel(name).publish('n', 0);
  await expect.poll(() => received.data).toEqual([0]);

  const back = await scenario.outage(subscriber);
  for (let n = 1; n <= 5; n++) await publisher.channel(name).publish('n', n);
  await back();
  await subscriber.channel(name).ready();
  await publisher.channel(name).publish('n', 6);

  if (subscriber.capabilities.recovery) {
    await expect.poll(() => received.data, { timeout: 8_000 }).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(gaps).toEqual([]);
  } else {
    await expect.poll(() => received.data.at(-1), { timeout: 8_000 }).toBe(6);
    expect(gaps).toEqual([{ channel: name, reason: 'provider-cannot-replay' }]);
    expect(received.data).toEqual([...new Set(received.data)].sort((a, b) => a - b));
  }
}
