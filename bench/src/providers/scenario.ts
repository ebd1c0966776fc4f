/**
 * Per provider: Patchbay against the raw vendor client, same server, same run. Throughput pushes
 * `messages` publishes with at most `window` unacknowledged and times first send → last receipt;
 * latency sends one message at a time and times send → receipt. Sides alternate within every
 * round (raw, patchbay, raw, patchbay …) after a warm-up, and each figure is the median of rounds.
 */

import { median, percentile, waitFor } from '../lib/stats.js';
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
}

export interface ProviderResult {
  provider: Provider;
  server: string;
  messages: number;
  latencySamples: number;
  rounds: number;
  raw: SideFigures;
  patchbay: SideFigures;
}

const SERVER: Record<Provider, { kind: ServerKind; label: string }> = {
  socketio: { kind: 'hub', label: 'Patchbay hub (Socket.IO)' },
  sse: { kind: 'hub', label: 'Patchbay hub (SSE)' },
  pusher: { kind: 'pusher', label: 'Pusher emulator + app server' },
  ably: { kind: 'ably', label: 'Ably emulator' },
};

let run = 0;

export async function throughput(side: Side, messages: number, window: number): Promise<number> {
  const r = ++run;
  let received = 0;
  let lastReceipt = 0;
  side.onMessage = (data) => {
    if (data.r !== r) return;
    received++;
    if (received === messages) lastReceipt = performance.now();
  };
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
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
  await waitFor(() => received === messages, `${side.label}: ${messages} messages`, 60_000, 1);
  return messages / ((lastReceipt - start) / 1_000);
}

async function latency(side: Side, samples: number): Promise<{ p50: number; p99: number }> {
  const r = ++run;
  const times: number[] = [];
  const acks: Promise<void>[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    const receipt = new Promise<number>((resolve) => {
      side.onMessage = (data) => {
        if (data.r === r && data.i === i) resolve(performance.now());
      };
    });
    acks.push(side.send({ r, i }));
    times.push((await receipt) - start);
  }
  await Promise.all(acks);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
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
    // Warm-up: JIT, connection pools, channel state. Not recorded.
    for (const side of [raw, patchbay]) {
      await throughput(side, Math.ceil(scale.messages / 4), scale.window);
      await latency(side, Math.ceil(scale.latencySamples / 4));
    }
    const figures = { raw: [] as SideFigures[], patchbay: [] as SideFigures[] };
    for (let round = 0; round < scale.rounds; round++) {
      const tp = { raw: 0, patchbay: 0 };
      for (const side of [raw, patchbay])
        tp[side.label] = await throughput(side, scale.messages, scale.window);
      for (const side of [raw, patchbay]) {
        const { p50, p99 } = await latency(side, scale.latencySamples);
        figures[side.label].push({ throughput: tp[side.label], p50, p99 });
      }
      log(
        `  ${provider} round ${round + 1}/${scale.rounds}: raw ${tp.raw.toFixed(0)} msg/s, patchbay ${tp.patchbay.toFixed(0)} msg/s`,
      );
    }
    const summarize = (list: SideFigures[]): SideFigures => ({
      throughput: median(list.map((f) => f.throughput)),
      p50: median(list.map((f) => f.p50)),
      p99: median(list.map((f) => f.p99)),
    });
    return {
      provider,
      server: SERVER[provider].label,
      messages: scale.messages,
      latencySamples: scale.latencySamples,
      rounds: scale.rounds,
      raw: summarize(figures.raw),
      patchbay: summarize(figures.patchbay),
    };
  } finally {
    for (const side of sides) await side.close().catch(() => {});
    await server.stop();
  }
}
