/**
 * Hub fan-out: one publisher, many subscribers on one channel. The hub (Socket.IO or SSE) against
 * a minimal server doing the same broadcast, each in its own child process; subscribers and the
 * publisher live in the bench process and are raw protocol clients on both sides (see
 * `lightClients.ts`), so what differs is the server.
 *
 * Per round and side: a paced latency run (one message every `gapMs`, every delivery's
 * publish → receipt time) and a throughput run (`messages` publishes, at most `window`
 * unacknowledged; deliveries = messages × subscribers, timed first publish → last delivery).
 */
import { io, type Socket } from 'socket.io-client';
import { median, percentile, sleep, waitFor } from '../lib/stats.js';
import { openRawStream, type RawSseStream } from '../providers/sides.js';
import { ServerChild } from '../servers/child.js';
import type { HubInfo, ServerKind } from '../servers/protocol.js';
import { type LightSubscriber, readIndex, socketIOLight, sseLight } from './lightClients.js';

export type FanoutProtocol = 'socketio' | 'sse';

export interface FanoutScale {
  subscribers: number;
  rounds: number;
  /** Publishes per throughput run. */
  messages: number;
  /** Publishes per latency run. */
  latencyMessages: number;
  gapMs: number;
  window: number;
}

export interface FanoutFigures {
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  /** Server CPU time per delivery during throughput runs, µs. */
  cpuPerDelivery: number;
  /** Server CPU time / wall time during throughput runs. */
  serverBusy: number;
}

export interface FanoutResult {
  protocol: FanoutProtocol;
  subscribers: number;
  messages: number;
  rounds: number;
  raw: FanoutFigures;
  hub: FanoutFigures;
}

const CHANNEL = 'fan';

interface FanoutSide {
  label: 'raw' | 'hub';
  server: ServerChild<HubInfo>;
  subscribers: LightSubscriber[];
  /** Publish message number `i`; resolves on the server's ack. */
  publish(i: number): Promise<void>;
  /** Set by the runs: one call per delivery of message `i`. */
  onDelivery: (i: number) => void;
  close(): Promise<void>;
}

async function connectAll(
  count: number,
  open: (k: number) => Promise<LightSubscriber>,
): Promise<LightSubscriber[]> {
  const subscribers: LightSubscriber[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const k = next++;
      subscribers.push(await open(k));
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return subscribers;
}

async function socketIOPublisher(url: string, path: string, auth: object): Promise<Socket> {
  const socket = io(url, {
    path,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function createFanoutSide(
  protocol: FanoutProtocol,
  label: 'raw' | 'hub',
  subscriberCount: number,
): Promise<FanoutSide> {
  const kind: ServerKind =
    label === 'hub' ? 'hub' : protocol === 'socketio' ? 'raw-socketio' : 'raw-sse';
  const server = await ServerChild.start<HubInfo>(kind);
  const { url } = server.info;
  const side: FanoutSide = {
    label,
    server,
    subscribers: [],
    onDelivery: () => {},
    publish: undefined as never,
    close: undefined as never,
  };
  const deliver = (text: string) => {
    const i = readIndex(text);
    if (i >= 0) side.onDelivery(i);
  };
  let closePublisher: () => void;
  if (protocol === 'socketio') {
    const path = label === 'hub' ? '/patchbay/socket.io' : '/socket.io';
    side.subscribers = await connectAll(subscriberCount, (k) =>
      socketIOLight({
        url,
        path,
        auth: label === 'hub' ? { clientId: `sub-${k}` } : {},
        afterConnect: [
          label === 'hub'
            ? `420["pb",{"op":"subscribe","channel":"${CHANNEL}"}]`
            : `420["join","${CHANNEL}"]`,
        ],
        readyWhen: '430',
        onEvent: deliver,
      }),
    );
    const publisher = await socketIOPublisher(
      url,
      path,
      label === 'hub' ? { clientId: 'pub' } : {},
    );
    let id = 0;
    side.publish =
      label === 'hub'
        ? (i) =>
            new Promise<void>((resolve, reject) =>
              publisher.emit(
                'pb',
                { op: 'publish', channel: CHANNEL, id: `m-${id++}`, event: 'm', data: { i } },
                (reply: { ok: boolean }) => (reply.ok ? resolve() : reject(new Error('refused'))),
              ),
            )
        : (i) =>
            new Promise<void>((resolve) => publisher.emit('pub', CHANNEL, { i }, () => resolve()));
    closePublisher = () => publisher.disconnect();
  } else {
    // SSE events can span TCP reads: each subscriber keeps the tail of an incomplete event.
    const streamHandler = () => {
      let tail = '';
      return (chunk: string) => {
        const text = tail + chunk;
        const end = text.lastIndexOf('\n\n');
        if (end === -1) {
          tail = text;
          return;
        }
        tail = text.slice(end + 2);
        let from = text.indexOf('data: ');
        while (from !== -1 && from < end) {
          const i = readIndex(text, from, text.indexOf('\n', from));
          if (i >= 0) side.onDelivery(i);
          from = text.indexOf('data: ', from + 6);
        }
      };
    };
    side.subscribers = await connectAll(subscriberCount, (k) =>
      sseLight({
        url:
          label === 'hub'
            ? `${url}/patchbay/sse/stream?clientId=sub-${k}&channels=${CHANNEL}`
            : `${url}/stream`,
        readyWhen: label === 'hub' ? 'event: welcome' : ': ok',
        onChunk: streamHandler(),
      }),
    );
    let stream: RawSseStream | undefined;
    if (label === 'hub') stream = await openRawStream(`${url}/patchbay/sse`, 'pub', () => {});
    let id = 0;
    side.publish = async (i) => {
      const response =
        label === 'hub'
          ? await fetch(`${url}/patchbay/sse/publish`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-patchbay-connection': (stream as RawSseStream).connectionId,
              },
              body: JSON.stringify({ channel: CHANNEL, id: `m-${id++}`, event: 'm', data: { i } }),
            })
          : await fetch(`${url}/publish`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ i }),
            });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`publish answered ${response.status}`);
    };
    closePublisher = () => {
      stream?.close();
    };
  }
  side.close = async () => {
    closePublisher();
    for (const subscriber of side.subscribers) subscriber.close();
    await server.stop();
  };
  return side;
}

let sequence = 0;

/** Publish `count` messages `gapMs` apart; every delivery's latency. */
async function latencyRun(side: FanoutSide, count: number, gapMs: number, subscribers: number) {
  const first = sequence;
  sequence += count;
  const sentAt = new Float64Array(count);
  const samples: number[] = [];
  side.onDelivery = (i) => {
    const k = i - first;
    if (k >= 0 && k < count) samples.push(performance.now() - (sentAt[k] as number));
  };
  const acks: Promise<void>[] = [];
  for (let k = 0; k < count; k++) {
    sentAt[k] = performance.now();
    acks.push(side.publish(first + k));
    await sleep(gapMs);
  }
  await Promise.all(acks);
  await waitFor(
    () => samples.length >= count * subscribers,
    `${side.label} latency deliveries`,
    60_000,
  );
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function throughputRun(side: FanoutSide, count: number, window: number, subscribers: number) {
  const first = sequence;
  sequence += count;
  const expected = count * subscribers;
  let delivered = 0;
  let last = 0;
  side.onDelivery = (i) => {
    if (i >= first && i < first + count && ++delivered === expected) last = performance.now();
  };
  const cpuBefore = await side.server.cpuMicros();
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const launch = () => {
      while (sent < count && sent - acked < window) {
        side.publish(first + sent++).then(() => {
          if (++acked === count) resolve();
          else launch();
        }, reject);
      }
    };
    launch();
  });
  await waitFor(() => delivered >= expected, `${side.label} throughput deliveries`, 120_000, 2);
  const seconds = (last - start) / 1_000;
  const cpu = (await side.server.cpuMicros()) - cpuBefore;
  return {
    deliveriesPerSecond: expected / seconds,
    cpuPerDelivery: cpu / expected,
    serverBusy: cpu / 1e6 / seconds,
  };
}

export async function runFanout(
  protocol: FanoutProtocol,
  scale: FanoutScale,
  log: (line: string) => void,
): Promise<FanoutResult> {
  const sides: FanoutSide[] = [];
  try {
    for (const label of ['raw', 'hub'] as const) {
      const started = performance.now();
      sides.push(await createFanoutSide(protocol, label, scale.subscribers));
      log(
        `  ${protocol} fan-out: ${label} with ${scale.subscribers} subscribers connected in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const [raw, hub] = sides as [FanoutSide, FanoutSide];
    await sleep(300);
    for (const side of sides) {
      await latencyRun(side, 5, scale.gapMs, scale.subscribers);
      await throughputRun(side, Math.ceil(scale.messages / 4), scale.window, scale.subscribers);
    }
    const rows = { raw: [] as FanoutFigures[], hub: [] as FanoutFigures[] };
    for (let round = 0; round < scale.rounds; round++) {
      const tp = {} as Record<'raw' | 'hub', Awaited<ReturnType<typeof throughputRun>>>;
      for (const side of [raw, hub]) {
        tp[side.label] = await throughputRun(side, scale.messages, scale.window, scale.subscribers);
      }
      for (const side of [raw, hub]) {
        const latency = await latencyRun(
          side,
          scale.latencyMessages,
          scale.gapMs,
          scale.subscribers,
        );
        rows[side.label].push({ ...tp[side.label], ...latency });
      }
      log(
        `  ${protocol} fan-out round ${round + 1}/${scale.rounds}: raw ${tp.raw.deliveriesPerSecond.toFixed(0)}/s, hub ${tp.hub.deliveriesPerSecond.toFixed(0)}/s deliveries (${(tp.hub.deliveriesPerSecond / tp.raw.deliveriesPerSecond).toFixed(2)}×); server CPU raw ${tp.raw.cpuPerDelivery.toFixed(1)}, hub ${tp.hub.cpuPerDelivery.toFixed(1)} µs/delivery`,
      );
    }
    const summarize = (list: FanoutFigures[]): FanoutFigures => ({
      deliveriesPerSecond: median(list.map((f) => f.deliveriesPerSecond)),
      p50: median(list.map((f) => f.p50)),
      p99: median(list.map((f) => f.p99)),
      cpuPerDelivery: median(list.map((f) => f.cpuPerDelivery)),
      serverBusy: median(list.map((f) => f.serverBusy)),
    });
    return {
      protocol,
      subscribers: scale.subscribers,
      messages: scale.messages,
      rounds: scale.rounds,
      raw: summarize(rows.raw),
      hub: summarize(rows.hub),
    };
  } finally {
    for (const side of sides) await side.close().catch(() => {});
  }
}
