/**
 * Per provider: Patchbay against the raw vendor client, same server, same run. Throughput pushes
 * `messages` publishes with at most `window` unacknowledged and times first send → last receipt;
 * it also reads the bench process's CPU time (`process.cpuUsage()`, user + system) over the run.
 * Every server runs in a child process and both clients of a side (publisher and subscriber) run
 * here, so that CPU time per message is the client-side cost of the side. Latency sends one
 * message at a time and times send → receipt, alternating sides message by message.
 *
 * After a warm-up, every round runs one throughput run per side back to back, then one paired
 * latency run, the first side alternating between rounds (raw first in even rounds, Patchbay in
 * odd ones), with a full GC before each run when one can be had, so neither side inherits the
 * other's garbage or always goes second. Per-side figures are medians over rounds; ratios are
 * Patchbay / raw per round, reported as their median and min–max so the noise band is visible.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median, percentile } from '../lib/stats.js';
import { ServerChild } from '../servers/child.js';
import type { ServerKind } from '../servers/protocol.js';
import { createSide, type Provider, type Side } from './sides.js';

export interface ProviderScale {
  rounds: number;
  messages: number;
  latencySamples: number;
  window: number;
}

export interface SideFigures {
  throughput: number;
  p50: number;
  p99: number;
  /** Bench-process CPU time (user + system) per message during throughput runs, µs. */
  cpuPerMessage: number;
}

/** Median and range of the per-round Patchbay / raw ratios. */
export interface RatioSpread {
  median: number;
  min: number;
  max: number;
}

export interface ProviderResult {
  provider: Provider;
  server: string;
  messages: number;
  latencySamples: number;
  rounds: number;
  raw: SideFigures;
  patchbay: SideFigures;
  ratios: { throughput: RatioSpread; p99: RatioSpread; cpu: RatioSpread };
  /**
   * Patchbay p99 / raw p99 over every round's latency samples pooled per side (the figure judged
   * against the target): a p99 of one round rests on its ~15 slowest samples, pooled on ~165.
   */
  p99Ratio: number;
}

const SERVER: Record<Provider, { kind: ServerKind; label: string }> = {
  socketio: { kind: 'hub', label: 'Patchbay hub (Socket.IO)' },
  sse: { kind: 'hub', label: 'Patchbay hub (SSE)' },
  pusher: { kind: 'pusher', label: 'Pusher emulator + app server' },
  ably: { kind: 'ably', label: 'Ably emulator' },
};

/**
 * A full GC, so a run does not pay for the garbage of the run before it. `pnpm bench` does not
 * start Node with `--expose-gc`, so the flag is set now and `gc` read from a fresh context (where
 * V8 installs it); without either, runs go without.
 */
const collectGarbage: () => void = (() => {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {}
  return () => {};
})();

let run = 0;

export interface ThroughputRun {
  /** Messages per second, first send → last receipt. */
  rate: number;
  /** Bench-process CPU time (user + system) per message over the run, µs. */
  cpuPerMessage: number;
}

/** One throughput run: `messages` publishes, at most `window` unacknowledged. */
export async function measureThroughput(
  side: Side,
  messages: number,
  window: number,
  timeoutMs = 120_000,
): Promise<ThroughputRun> {
  const r = ++run;
  let received = 0;
  let lastReceipt = 0;
  let allReceived = () => {};
  // Resolved by the last receipt rather than polled, so no timer adds to the CPU time measured.
  const receipts = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  side.onMessage = (data) => {
    if (data.r !== r) return;
    received++;
    if (received === messages) {
      lastReceipt = performance.now();
      allReceived();
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `Timed out waiting for ${side.label}: ${messages} messages (${received} received).`,
          ),
        ),
      timeoutMs,
    );
  });
  const cpu = process.cpuUsage();
  const start = performance.now();
  const acks = new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const launch = () => {
      while (sent < messages && sent - acked < window) {
        const i = sent++;
        side.send({ r, i }).then(() => {
          acked++;
          if (acked === messages) resolve();
          else launch();
        }, reject);
      }
    };
    launch();
  });
  try {
    await Promise.race([Promise.all([acks, receipts]), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const used = process.cpuUsage(cpu);
  return {
    rate: messages / ((lastReceipt - start) / 1_000),
    cpuPerMessage: (used.user + used.system) / messages,
  };
}

/** Messages per second of one throughput run (see `measureThroughput`). */
export async function throughput(side: Side, messages: number, window: number): Promise<number> {
  return (await measureThroughput(side, messages, window)).rate;
}

type Latency = { p50: number; p99: number; samples: number[] };

/**
 * Latency of both sides at once: one message at a time, alternating sides message by message
 * (`first`'s, then `second`'s), so a burst of scheduling noise lands on both sides rather than on
 * whichever was running at the time.
 */
async function pairedLatency(
  first: Side,
  second: Side,
  samples: number,
): Promise<Record<Side['label'], Latency>> {
  const times = { raw: [] as number[], patchbay: [] as number[] };
  const runs = { [first.label]: ++run, [second.label]: ++run } as Record<Side['label'], number>;
  const acks: Promise<void>[] = [];
  for (let i = 0; i < samples; i++) {
    for (const side of [first, second]) {
      const r = runs[side.label];
      const start = performance.now();
      const receipt = new Promise<number>((resolve) => {
        side.onMessage = (data) => {
          if (data.r === r && data.i === i) resolve(performance.now());
        };
      });
      acks.push(side.send({ r, i }));
      times[side.label].push((await receipt) - start);
    }
  }
  await Promise.all(acks);
  const summary = (list: number[]): Latency => ({
    p50: percentile(list, 50),
    p99: percentile(list, 99),
    samples: list,
  });
  return { raw: summary(times.raw), patchbay: summary(times.patchbay) };
}

function spread(values: readonly number[]): RatioSpread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export async function runProvider(
  provider: Provider,
  scale: ProviderScale,
  log: (line: string) => void,
): Promise<ProviderResult> {
  const server = await ServerChild.start(SERVER[provider].kind);
  const sides: Side[] = [];
  try {
    const raw = await createSide(provider, 'raw', server.info);
    sides.push(raw);
    const patchbay = await createSide(provider, 'patchbay', server.info);
    sides.push(patchbay);
    // Warm-up: JIT, connection pools, channel state. Not recorded. A full-size throughput run per
    // side, as quarter-size ones left the first recorded round slower (pusher ~0.65× its median).
    for (const side of [raw, patchbay]) await measureThroughput(side, scale.messages, scale.window);
    await pairedLatency(raw, patchbay, Math.ceil(scale.latencySamples / 4));
    const figures = { raw: [] as SideFigures[], patchbay: [] as SideFigures[] };
    const ratios = { throughput: [] as number[], p99: [] as number[], cpu: [] as number[] };
    const pooled = { raw: [] as number[], patchbay: [] as number[] };
    for (let round = 0; round < scale.rounds; round++) {
      const order = round % 2 === 0 ? ([raw, patchbay] as const) : ([patchbay, raw] as const);
      const tp = {} as Record<Side['label'], ThroughputRun>;
      for (const side of order) {
        collectGarbage();
        tp[side.label] = await measureThroughput(side, scale.messages, scale.window);
      }
      collectGarbage();
      const lat = await pairedLatency(order[0], order[1], scale.latencySamples);
      for (const label of ['raw', 'patchbay'] as const) {
        figures[label].push({
          throughput: tp[label].rate,
          cpuPerMessage: tp[label].cpuPerMessage,
          p50: lat[label].p50,
          p99: lat[label].p99,
        });
        pooled[label].push(...lat[label].samples);
      }
      ratios.throughput.push(tp.patchbay.rate / tp.raw.rate);
      ratios.p99.push(lat.patchbay.p99 / lat.raw.p99);
      ratios.cpu.push(tp.patchbay.cpuPerMessage / tp.raw.cpuPerMessage);
      const side = (label: Side['label']) =>
        `${label} ${tp[label].rate.toFixed(0)} msg/s ${tp[label].cpuPerMessage.toFixed(1)} µs/msg p99 ${lat[label].p99.toFixed(2)} ms`;
      log(
        `  ${provider} round ${round + 1}/${scale.rounds} (${order[0].label} first): ${side('raw')}, ${side('patchbay')}`,
      );
    }
    // Throughput and CPU: medians over rounds. Latency: percentiles of the pooled samples.
    const summarize = (list: SideFigures[], samples: number[]): SideFigures => ({
      throughput: median(list.map((f) => f.throughput)),
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      cpuPerMessage: median(list.map((f) => f.cpuPerMessage)),
    });
    const rawFigures = summarize(figures.raw, pooled.raw);
    const patchbayFigures = summarize(figures.patchbay, pooled.patchbay);
    return {
      provider,
      server: SERVER[provider].label,
      messages: scale.messages,
      latencySamples: scale.latencySamples,
      rounds: scale.rounds,
      raw: rawFigures,
      patchbay: patchbayFigures,
      ratios: {
        throughput: spread(ratios.throughput),
        p99: spread(ratios.p99),
        cpu: spread(ratios.cpu),
      },
      p99Ratio: patchbayFigures.p99 / rawFigures.p99,
    };
  } finally {
    for (const side of sides) await side.close().catch(() => {});
    await server.stop();
  }
}
