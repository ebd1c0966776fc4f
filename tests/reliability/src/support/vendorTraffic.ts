import type { DiscontinuityEvent, RealtimeClient } from '@patchbay/realtime-core';
import { sleep, waitFor } from '@patchbay/realtime-testkit';

/**
 * A link gone between a drop and the `discontinuity` that follows it. Messages numbered above
 * `afterN` (the highest seen when the link dropped) and below `until` (how many the server had
 * started publishing when the channel signalled the gap) may be missing; anything else missing is
 * a silent loss.
 */
export interface Gap {
  afterN: number;
  until?: number;
}

/** What a subscriber saw on one channel: messages (by `data.n`), drops, reconnects and gaps. */
export interface ChannelWatch {
  readonly received: number[];
  readonly discontinuities: DiscontinuityEvent[];
  readonly gaps: Gap[];
  /** Times the client left `connected`. */
  drops(): number;
  /** Times the client reached `connected` after the first. */
  reconnects(): number;
  /** `true` while connected and the channel is attached. */
  live(): boolean;
  /** Missing messages of `sent` that no signalled gap covers. */
  unsignalledLoss(sent: readonly number[]): number[];
}

/**
 * Subscribe to `channel` and keep the record a scenario asserts on. `published()` tells how many
 * messages the publisher had started sending, read when a discontinuity closes a gap.
 */
export function watchChannel(
  client: RealtimeClient,
  channel: string,
  published: () => number = () => 0,
): ChannelWatch {
  const received: number[] = [];
  const discontinuities: DiscontinuityEvent[] = [];
  const gaps: Gap[] = [];
  let highest = -1;
  let drops = 0;
  let connections = 0;
  let previous = client.connection.getSnapshot().state;
  const handle = client.channel(channel);
  handle.subscribe('m', (message) => {
    const n = (message.data as { n: number }).n;
    received.push(n);
    if (n > highest) highest = n;
  });
  handle.on('discontinuity', (event) => {
    discontinuities.push(event);
    const until = published();
    for (const gap of gaps) gap.until ??= until;
  });
  client.connection.subscribe(() => {
    const { state } = client.connection.getSnapshot();
    if (state === previous) return;
    if (previous === 'connected') {
      drops++;
      if (!gaps.some((gap) => gap.until === undefined)) gaps.push({ afterN: highest });
    }
    if (state === 'connected') connections++;
    previous = state;
  });
  return {
    received,
    discontinuities,
    gaps,
    drops: () => drops,
    reconnects: () => Math.max(0, connections - 1),
    live: () =>
      client.connection.getSnapshot().state === 'connected' &&
      handle.state.getSnapshot().state === 'attached',
    unsignalledLoss: (sent) => {
      const seen = new Set(received);
      return sent.filter(
        (n) =>
          !seen.has(n) &&
          !gaps.some((gap) => gap.until !== undefined && n > gap.afterN && n < gap.until),
      );
    },
  };
}

export interface PaceOptions {
  total: number;
  ratePerSecond: number;
  /** Messages per step. */
  chunk: number;
  /** Publish messages `from..to-1`; awaited before the next step. */
  step(from: number, to: number): Promise<void> | void;
  /** Hold off while this many messages wait to be acknowledged. */
  backlog?: () => number;
  maxBacklog?: number;
}

/**
 * Publish `total` messages at about `ratePerSecond`, in order, never beyond the backlog bound.
 * After a stall (a blocked step, a full backlog) the rate resumes instead of catching up in a
 * burst, so traffic keeps flowing for the rest of the run.
 */
export async function pace(options: PaceOptions): Promise<void> {
  const {
    total,
    ratePerSecond,
    chunk,
    step,
    backlog,
    maxBacklog = Number.POSITIVE_INFINITY,
  } = options;
  let allowance = chunk;
  let last = Date.now();
  let next = 0;
  while (next < total) {
    const now = Date.now();
    allowance = Math.min(2 * chunk, allowance + ((now - last) / 1_000) * ratePerSecond);
    last = now;
    if (allowance < chunk || (backlog !== undefined && backlog() >= maxBacklog)) {
      await sleep(10);
      continue;
    }
    const to = Math.min(next + chunk, total);
    allowance -= to - next;
    await step(next, to);
    next = to;
  }
}

export interface Chaos {
  /** Cuts made so far. */
  readonly cuts: number;
  stop(): void;
}

/** Call `cut` every `minMs`–`maxMs` (drawn from `random`) until stopped. */
export function startChaos(
  random: () => number,
  minMs: number,
  maxMs: number,
  cut: () => void,
): Chaos {
  let cuts = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(
      () => {
        if (stopped) return;
        cuts++;
        cut();
        schedule();
      },
      minMs + random() * (maxMs - minMs),
    );
  };
  schedule();
  return {
    get cuts() {
      return cuts;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Like `waitFor`, but a timeout resolves `false` so the scenario still records its figures. */
export async function settle(
  what: string,
  check: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  try {
    await waitFor(what, check, { timeoutMs, intervalMs: 20 });
    return true;
  } catch {
    return false;
  }
}

/** `0..count-1`. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, n) => n);
}

/** Queue messages `from..to-1` as `{ n }` on the client, keeping each publish promise. */
export function queuePublishes(
  client: RealtimeClient,
  channel: string,
  run: string,
  publishes: Array<Promise<void>>,
) {
  return (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      publishes.push(client.channel(channel).publish('m', { n }, { id: `${run}-${n}` }));
    }
  };
}

/** Resolves with how many publishes were rejected once every one has settled. */
export async function rejectedPublishes(publishes: Array<Promise<void>>): Promise<number> {
  const outcomes = await Promise.allSettled(publishes);
  return outcomes.filter((outcome) => outcome.status === 'rejected').length;
}
