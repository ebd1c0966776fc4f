/**
 * `pnpm bench`: every scenario in one run, printed as tables with ✓/✗ against the targets.
 * Benchmarks are not tests: a missed target is reported, never a failure.
 *
 *   tsx src/run.ts [--quick] [--only=providers,fanout,connections]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runConnections } from './connections/scenario.js';
import { type FanoutProtocol, type FanoutScale, runFanout } from './fanout/scenario.js';
import { fmtMs, fmtNumber, fmtRatio, mark, table } from './lib/stats.js';
import { type ProviderScale, runProvider } from './providers/scenario.js';
import type { Provider } from './providers/sides.js';
import { ServerChild } from './servers/child.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',') ?? ['providers', 'fanout', 'connections'];

const TARGETS = {
  throughput: 0.9,
  p99: 1.1,
  fanout: { socketio: 0.8, sse: 1.0 } satisfies Record<FanoutProtocol, number>,
  heapPerConnection: 16 * 1024,
};

/** Per provider: how many publishes make one throughput run last long enough to time (~0.3–1 s). */
const PROVIDER_SCALE: Record<Provider, ProviderScale> = quick
  ? {
      socketio: { rounds: 2, messages: 500, latencySamples: 50, window: 100 },
      sse: { rounds: 2, messages: 500, latencySamples: 50, window: 100 },
      pusher: { rounds: 2, messages: 150, latencySamples: 30, window: 100 },
      ably: { rounds: 2, messages: 300, latencySamples: 50, window: 100 },
    }
  : {
      socketio: { rounds: 7, messages: 4_000, latencySamples: 400, window: 100 },
      sse: { rounds: 7, messages: 4_000, latencySamples: 400, window: 100 },
      pusher: { rounds: 7, messages: 800, latencySamples: 300, window: 100 },
      ably: { rounds: 7, messages: 3_000, latencySamples: 400, window: 100 },
    };

const FANOUT_SCALE: FanoutScale = quick
  ? { subscribers: 200, rounds: 2, messages: 40, latencyMessages: 10, gapMs: 50, window: 10 }
  : { subscribers: 1_000, rounds: 5, messages: 200, latencyMessages: 30, gapMs: 100, window: 10 };

const CONNECTIONS = quick ? 1_000 : 10_000;

const log = (line: string) => console.log(line);

function machine(): string {
  let cpu = 'unknown CPU';
  try {
    cpu =
      readFileSync('/proc/cpuinfo', 'utf8')
        .split('\n')
        .find((line) => line.startsWith('model name'))
        ?.split(':')[1]
        ?.trim() ?? cpu;
  } catch {}
  return `${availableParallelism()} cores, ${cpu}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function providers(): Promise<string> {
  const rows: string[][] = [];
  for (const provider of ['socketio', 'sse', 'pusher', 'ably'] as const) {
    const result = await runProvider(provider, PROVIDER_SCALE[provider], log);
    const tpRatio = result.patchbay.throughput / result.raw.throughput;
    const p99Ratio = result.patchbay.p99 / result.raw.p99;
    rows.push([
      provider,
      result.server,
      fmtNumber(result.raw.throughput),
      fmtNumber(result.patchbay.throughput),
      `${fmtRatio(tpRatio)} ${mark(tpRatio >= TARGETS.throughput)}`,
      `${fmtMs(result.raw.p50)} / ${fmtMs(result.raw.p99)}`,
      `${fmtMs(result.patchbay.p50)} / ${fmtMs(result.patchbay.p99)}`,
      `${fmtRatio(p99Ratio)} ${mark(p99Ratio <= TARGETS.p99)}`,
    ]);
  }
  const { socketio, sse, pusher, ably } = PROVIDER_SCALE;
  return [
    '## Patchbay vs raw vendor client (same server, same run)',
    '',
    `Throughput: publishes with ≤${socketio.window} unacknowledged, first send → last receipt (socketio ${socketio.messages}, sse ${sse.messages}, pusher ${pusher.messages}, ably ${ably.messages} messages). Latency: one message at a time (${socketio.latencySamples}/${sse.latencySamples}/${pusher.latencySamples}/${ably.latencySamples} samples), publish → receipt. Medians of ${socketio.rounds} alternating rounds.`,
    '',
    table(
      [
        'Provider',
        'Server',
        'Raw msg/s',
        'Patchbay msg/s',
        'Throughput ratio (≥0.90×)',
        'Raw p50 / p99 ms',
        'Patchbay p50 / p99 ms',
        'p99 ratio (≤1.10×)',
      ],
      rows,
    ),
  ].join('\n');
}

async function fanout(): Promise<string> {
  const rows: string[][] = [];
  for (const protocol of ['socketio', 'sse'] as const) {
    const result = await runFanout(protocol, FANOUT_SCALE, log);
    const ratio = result.hub.deliveriesPerSecond / result.raw.deliveriesPerSecond;
    const cpuRatio = result.hub.cpuPerDelivery / result.raw.cpuPerDelivery;
    const target = TARGETS.fanout[protocol];
    rows.push([
      protocol === 'socketio' ? 'Socket.IO' : 'SSE',
      fmtNumber(result.raw.deliveriesPerSecond),
      fmtNumber(result.hub.deliveriesPerSecond),
      `${fmtRatio(ratio)} ${mark(ratio >= target)} (≥${target.toFixed(2)}×)`,
      `${fmtMs(result.raw.p50)} / ${fmtMs(result.raw.p99)}`,
      `${fmtMs(result.hub.p50)} / ${fmtMs(result.hub.p99)}`,
      `${result.raw.cpuPerDelivery.toFixed(1)} / ${result.hub.cpuPerDelivery.toFixed(1)} (${fmtRatio(cpuRatio)})`,
      `${(result.raw.serverBusy * 100).toFixed(0)}% / ${(result.hub.serverBusy * 100).toFixed(0)}%`,
    ]);
  }
  const s = FANOUT_SCALE;
  return [
    `## Hub fan-out: 1 publisher → ${s.subscribers} subscribers`,
    '',
    `Hub vs a minimal server doing the same broadcast, each in its own process; raw protocol subscribers in the bench process for both. Throughput: ${s.messages} publishes (≤${s.window} unacknowledged), deliveries = messages × subscribers, first publish → last delivery. Latency: ${s.latencyMessages} publishes ${s.gapMs} ms apart, every delivery. Medians of ${s.rounds} alternating rounds.`,
    '',
    table(
      [
        'Protocol',
        'Raw deliveries/s',
        'Hub deliveries/s',
        'Ratio (target)',
        'Raw p50 / p99 ms',
        'Hub p50 / p99 ms',
        'Server CPU µs/delivery raw / hub',
        'Server busy raw / hub',
      ],
      rows,
    ),
  ].join('\n');
}

async function connections(): Promise<string> {
  const result = await runConnections(CONNECTIONS, log);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return [
    '## Idle SSE connections on one hub process',
    '',
    `Heap and RSS after a full GC in the hub process, (with N streams − baseline) / N. fd limit ${result.fdLimit}.${result.note ? ` ${result.note}` : ''}`,
    '',
    table(
      [
        'Connections',
        'Opened in',
        'Heap / connection (≤16 KB)',
        'RSS / connection',
        'Baseline heap / RSS',
      ],
      [
        [
          fmtNumber(result.opened),
          `${result.openSeconds.toFixed(1)} s`,
          `${kb(result.heapPerConnection)} ${mark(result.heapPerConnection <= TARGETS.heapPerConnection)}`,
          kb(result.rssPerConnection),
          `${(result.baselineHeap / 2 ** 20).toFixed(1)} MB / ${(result.baselineRss / 2 ** 20).toFixed(1)} MB`,
        ],
      ],
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`Patchbay benchmarks${quick ? ' (quick)' : ''} — ${machine()}\n`);
  const sections: string[] = [];
  if (only.includes('providers')) sections.push(await providers());
  if (only.includes('fanout')) sections.push(await fanout());
  if (only.includes('connections')) sections.push(await connections());
  console.log(`\n${sections.join('\n\n')}\n`);
  console.log(`Finished in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    ServerChild.killAll();
    process.exit(1);
  },
);
