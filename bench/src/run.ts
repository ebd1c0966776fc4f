/**
 * `pnpm bench`: every scenario in one run, printed as tables with ✓/✗ against the targets.
 * Benchmarks are not tests: a missed target is reported, never a failure.
 *
 *   tsx src/run.ts [--quick] [--only=providers,fanout,connections] [--providers=socketio,sse,pusher,ably]
 *     [--fanout=socketio,sse]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runConnections } from './connections/scenario.js';
import { type FanoutProtocol, type FanoutScale, runFanout } from './fanout/scenario.js';
import { fmtMs, fmtNumber, fmtRatio, mark, table } from './lib/stats.js';
import { type ProviderScale, type RatioSpread, runProvider } from './providers/scenario.js';
import type { Provider } from './providers/sides.js';
import { ServerChild } from './servers/child.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const SCENARIOS = ['providers', 'fanout', 'connections'] as const;
const ALL_PROVIDERS: readonly Provider[] = ['socketio', 'sse', 'pusher', 'ably'];

/** `--name=a,b`: the listed values (each one of `allowed`), or all of `allowed` without the flag. */
function listOption<T extends string>(name: string, allowed: readonly T[]): readonly T[] {
  const values = args
    .find((arg) => arg.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
  const unknown = values?.find((value) => !allowed.includes(value as T));
  if (unknown !== undefined) {
    console.error(`Unknown value "${unknown}" in --${name}; choose from ${allowed.join(', ')}.`);
    process.exit(2);
  }
  return (values as T[] | undefined) ?? allowed;
}

const only = listOption('only', SCENARIOS);
const providerList = listOption('providers', ALL_PROVIDERS);
const fanoutList = listOption('fanout', ['socketio', 'sse'] as const);

const TARGETS = {
  throughput: 0.9,
  p99: 1.1,
  fanout: { socketio: 0.95, sse: 1.0 } satisfies Record<FanoutProtocol, number>,
  heapPerConnection: 16 * 1024,
};

/**
 * Per provider: how many publishes make one throughput run last long enough to time (~0.3–1 s),
 * and enough latency samples that p99 is not a handful of outliers (samples are pooled over
 * rounds: p99 of 11 × 1 500 is the 165th slowest). Rounds are cheap (~1–5 s each), so there are
 * enough of them for a stable median.
 */
const PROVIDER_SCALE: Record<Provider, ProviderScale> = quick
  ? {
      socketio: { rounds: 2, messages: 500, latencySamples: 50, window: 100 },
      sse: { rounds: 2, messages: 500, latencySamples: 50, window: 100 },
      pusher: { rounds: 2, messages: 150, latencySamples: 30, window: 100 },
      ably: { rounds: 2, messages: 300, latencySamples: 50, window: 100 },
    }
  : {
      socketio: { rounds: 11, messages: 8_000, latencySamples: 1_500, window: 100 },
      sse: { rounds: 11, messages: 8_000, latencySamples: 1_500, window: 100 },
      pusher: { rounds: 11, messages: 800, latencySamples: 1_000, window: 100 },
      ably: { rounds: 11, messages: 6_000, latencySamples: 1_500, window: 100 },
    };

const FANOUT_SCALE: FanoutScale = quick
  ? { subscribers: 200, rounds: 2, messages: 40, latencyMessages: 10, gapMs: 50, window: 10 }
  : { subscribers: 1_000, rounds: 9, messages: 200, latencyMessages: 30, gapMs: 100, window: 10 };

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

/**
 * `0.93× ✓ (0.85–0.99)`: a ratio (by default the median of the per-round ratios), its mark, and
 * the per-round ratios' range.
 */
function fmtSpread(
  spread: RatioSpread,
  ok?: (ratio: number) => boolean,
  value = spread.median,
): string {
  const marked = ok ? ` ${mark(ok(value))}` : '';
  return `${fmtRatio(value)}${marked} (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;
}

async function providers(): Promise<string> {
  const rows: string[][] = [];
  for (const provider of providerList) {
    const result = await runProvider(provider, PROVIDER_SCALE[provider], log);
    const { ratios } = result;
    rows.push([
      provider,
      result.server,
      fmtNumber(result.raw.throughput),
      fmtNumber(result.patchbay.throughput),
      fmtSpread(ratios.throughput, (ratio) => ratio >= TARGETS.throughput),
      `${fmtMs(result.raw.p50)} / ${fmtMs(result.raw.p99)}`,
      `${fmtMs(result.patchbay.p50)} / ${fmtMs(result.patchbay.p99)}`,
      fmtSpread(ratios.p99, (ratio) => ratio <= TARGETS.p99, result.p99Ratio),
      `${result.raw.cpuPerMessage.toFixed(1)} / ${result.patchbay.cpuPerMessage.toFixed(1)}`,
      fmtSpread(ratios.cpu),
    ]);
  }
  const { socketio, sse, pusher, ably } = PROVIDER_SCALE;
  return [
    '## Patchbay vs raw vendor client (same server, same run)',
    '',
    `Throughput: publishes with ≤${socketio.window} unacknowledged, first send → last receipt (socketio ${socketio.messages}, sse ${sse.messages}, pusher ${pusher.messages}, ably ${ably.messages} messages). Latency: one message at a time, raw and Patchbay alternating message by message (${socketio.latencySamples}/${sse.latencySamples}/${pusher.latencySamples}/${ably.latencySamples} samples per side), publish → receipt. Client CPU: the bench process's CPU time (user + system) per message during the throughput runs; publisher and subscriber clients run in the bench process, servers in child processes, so this is the clients' cost. ${socketio.rounds} rounds, each a raw and a Patchbay throughput run back to back then a latency run (which side goes first alternates; full GC before each run): throughput and CPU are medians over rounds, their ratios Patchbay / raw per round shown as median (min–max); p50 and p99 are percentiles of every round's samples pooled per side, the p99 ratio is pooled Patchbay p99 / pooled raw p99 with the per-round ratios' (min–max); marks on the median or pooled figure.`,
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
        'Client CPU µs/msg raw / Patchbay',
        'CPU ratio',
      ],
      rows,
    ),
  ].join('\n');
}

async function fanout(): Promise<string> {
  const rows: string[][] = [];
  for (const protocol of fanoutList) {
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
