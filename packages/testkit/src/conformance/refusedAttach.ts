import {
  type ChannelSnapshot,
  isRealtimeError,
  type RealtimeClient,
  type RealtimeError,
} from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import { collect, type SuiteContext } from '../internal/context.js';
import { sleep, waitFor } from '../waitFor.js';

/** Short retry delays, so a few refusals resolve in well under a second. */
const QUICK = { reconnect: { baseDelayMs: 20, maxDelayMs: 100 } } as const;

/** A channel snapshot with the attempt count a refused attach reports. */
type Reported = ChannelSnapshot;

/**
 * A subscribe the counterpart refuses as retryable while the link stays up (a hub whose
 * authorize() hook cannot reach its store, an auth endpoint answering 500, Ably's DETACHED with
 * a 5xx error, Supabase's join error): the app must see it at once, core must back off rather
 * than retry for ever, and the channel must come back — or fail, loudly — on every provider.
 */
export function refusedAttachTests(ctx: SuiteContext): void {
  it('a refused subscribe is reported from the first refusal, retried with backoff, and attaches when the refusals stop', async () => {
    const client = await ctx.connected({ clientId: 'ra-patient', ...QUICK });
    const name = ctx.channelName('refused');
    await ctx.harness.refuseSubscribes(name, 3);
    const errors = recordErrors(client);
    const channel = client.channel(name);
    const states = recordStates(channel.state);
    const received = collect<{ n: number }>(channel, 'note');

    await channel.ready();

    const refusals = states.filter((s) => s.state === 'attaching' && s.error !== undefined);
    expect(
      distinct(refusals.map((s) => s.attempt)),
      'the channel shows each refusal as attempt 1, 2, 3',
    ).toEqual([1, 2, 3]);
    for (const { error } of refusals) expect(error).toMatchObject({ retryable: true });
    expect(errors, 'each refusal is reported on client.on("error")').toHaveLength(3);
    for (const error of errors) {
      expect(isRealtimeError(error)).toBe(true);
      expect(error.retryable).toBe(true);
    }
    // Attached: no attempt count, no stale refusal.
    expect(channel.state.getSnapshot()).toEqual({ state: 'attached' });
    expect(await ctx.harness.subscribeAttempts(name), 'three refusals, one success').toBe(4);
    expect(client.connection.getSnapshot().state).toBe('connected');

    await ctx.harness.serverPublish(name, 'note', { n: 1 });
    await waitFor('the message published after the refusals', () => received.data.length === 1);
    expect(received.data).toEqual([{ n: 1 }]);
    expect(await ctx.harness.subscribeAttempts(name), 'no attempt after attaching').toBe(4);
  });

  it('a subscribe refused beyond attach.maxAttempts fails the channel with the cause, and stops trying', async () => {
    const client = await ctx.connected({
      clientId: 'ra-refused',
      ...QUICK,
      attach: { maxAttempts: 3 },
    });
    const name = ctx.channelName('refused-for-good');
    await ctx.harness.refuseSubscribes(name, 1_000);
    const errors = recordErrors(client);
    const channel = client.channel(name);
    const states = recordStates(channel.state);
    channel.subscribe(() => {});

    await waitFor(
      `channel "${name}" to fail after 3 refused subscribes`,
      async () =>
        channel.state.getSnapshot().state === 'failed' ||
        // Attempts past the bound without a failure: stop waiting and report below.
        (await ctx.harness.subscribeAttempts(name)) > 3,
      { timeoutMs: 8_000 },
    );
    expect(await ctx.harness.subscribeAttempts(name), 'attach.maxAttempts subscribes').toBe(3);
    const failure: unknown = await channel.ready().then(
      () => new Error('ready() resolved although every subscribe was refused'),
      (error: unknown) => error,
    );

    expect(isRealtimeError(failure), 'ready() rejects with a RealtimeError').toBe(true);
    const error = failure as RealtimeError;
    expect(channel.state.getSnapshot()).toEqual({ state: 'failed', error });
    expect(error.retryable, 'nothing retries a failed channel by itself').toBe(false);
    expect(error.message, 'the message names the channel').toContain(name);
    const refusals = errors.filter((e) => e !== error);
    expect(refusals.length, 'the refusals were reported before the failure').toBeGreaterThan(0);
    for (const refusal of refusals) expect(refusal.retryable).toBe(true);
    expect(isRealtimeError(error.cause), 'the failure carries the last refusal as its cause').toBe(
      true,
    );
    expect(error.cause).toMatchObject({ retryable: true });
    expect(errors.at(-1), 'the failure is reported on client.on("error")').toBe(error);
    expect(
      distinct(states.map((s) => s.attempt).filter((a) => a !== undefined)),
      'attempts counted up to the bound',
    ).toEqual(refusals.map((_, index) => index + 1));

    // Well past the longest backoff: a failed channel sends nothing more.
    await sleep(400);
    expect(await ctx.harness.subscribeAttempts(name)).toBe(3);
    expect(channel.state.getSnapshot().state).toBe('failed');
    expect(client.connection.getSnapshot().state).toBe('connected');
  });
}

function recordErrors(client: RealtimeClient): RealtimeError[] {
  const errors: RealtimeError[] = [];
  client.on('error', (error) => errors.push(error));
  return errors;
}

/** Every snapshot the channel goes through, from now on. */
function recordStates(store: {
  getSnapshot(): ChannelSnapshot;
  subscribe(listener: () => void): () => void;
}): Reported[] {
  const states: Reported[] = [store.getSnapshot()];
  store.subscribe(() => states.push(store.getSnapshot()));
  return states;
}

/** Values in order of first appearance, `undefined` left out. */
function distinct<TValue>(values: readonly (TValue | undefined)[]): TValue[] {
  return [...new Set(values.filter((v): v is TValue => v !== undefined))];
}
