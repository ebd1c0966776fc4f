import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Channel,
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeOptions,
} from '@patchbay/realtime-core';
import { createHubServer, createSseNodeHandler, type Hub } from '@patchbay/realtime-server';
import { attachSocketIO } from '@patchbay/realtime-server/socketio';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { sseTransport } from '@patchbay/realtime-sse';
import { sleep, type TcpProxy } from '@patchbay/realtime-testkit';
import { seededRandom } from './seed.js';

/** The two transports served by the self-hosted hub. */
export type HubProvider = 'socketio' | 'sse';
export const HUB_PROVIDERS: readonly HubProvider[] = ['socketio', 'sse'];

// Randomness ------------------------------------------------------------------------------------

/** A per-scenario, per-provider stream derived from the run seed. */
export function scenarioRandom(
  seed: number,
  scenario: string,
  provider: HubProvider,
): () => number {
  let hash = 2166136261;
  for (const char of `${scenario}/${provider}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 16777619);
  }
  return seededRandom((seed ^ hash) >>> 0);
}

export const between = (random: () => number, min: number, max: number): number =>
  Math.round(min + random() * (max - min));

// Hub server ------------------------------------------------------------------------------------

export interface RunningHub {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeHubOptions {
  /** 0 (default) picks a free port; pass the previous port to restart on the same address. */
  port?: number;
  /**
   * Heartbeat of both endpoints: SSE `: ping` interval, Socket.IO ping interval (ping timeout
   * twice that). Unset: `createHubServer` with its defaults.
   */
  heartbeatMs?: number;
}

/**
 * Serve a hub over HTTP on 127.0.0.1: Socket.IO and SSE endpoints on one port. Without a
 * heartbeat this is `createHubServer({ hub, port })`; with one, the same composition
 * (`attachSocketIO` + `createSseNodeHandler`) with short heartbeats, so a silent link is
 * declared dead within a couple of seconds.
 */
export async function serveHub(hub: Hub, options: ServeHubOptions = {}): Promise<RunningHub> {
  const port = options.port ?? 0;
  const heartbeatMs = options.heartbeatMs;
  if (heartbeatMs === undefined) {
    const server = await createHubServer({ hub, port, host: '127.0.0.1' });
    return { url: server.url, port: server.port, close: () => server.close() };
  }
  const sse = createSseNodeHandler(hub, { heartbeatMs });
  const http = createServer((req, res) => sse(req, res));
  const socketio = attachSocketIO(hub, http, {
    server: { pingInterval: heartbeatMs, pingTimeout: heartbeatMs * 2 },
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: async () => {
      await socketio.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

// Clients ---------------------------------------------------------------------------------------

export type HubClientOptions = Omit<RealtimeOptions, 'transport'> & {
  /** SSE: declare the stream dead after this much silence (default: 2.5 × the hub heartbeat). */
  silenceTimeoutMs?: number;
};

/**
 * A real client on the given transport. Short reconnect backoff (tests wait for outcomes, not
 * for 30 s ceilings), no browser connectivity signals, a generous publish ack timeout so a
 * publish waits out an outage in the queue instead of timing out.
 */
export function createHubClient(
  provider: HubProvider,
  url: string,
  options: HubClientOptions,
): RealtimeClient {
  const { silenceTimeoutMs, ...clientOptions } = options;
  return createRealtime({
    connectivity: noConnectivitySignals,
    publishTimeoutMs: 60_000,
    ...clientOptions,
    reconnect: { baseDelayMs: 50, maxDelayMs: 500, connectTimeoutMs: 3_000, ...options.reconnect },
    transport:
      provider === 'socketio'
        ? socketioTransport({ url })
        : sseTransport({ url, ...(silenceTimeoutMs !== undefined ? { silenceTimeoutMs } : {}) }),
  });
}

// Cleanup ---------------------------------------------------------------------------------------

/**
 * Everything a scenario started, closed in `dispose()` (clients, then proxies, servers and hubs),
 * each step independent so one failure does not leave the rest running.
 */
export class HubScope {
  #clients: RealtimeClient[] = [];
  #proxies: TcpProxy[] = [];
  #servers: Array<{ current: RunningHub | undefined }> = [];
  #hubs: Hub[] = [];

  client(client: RealtimeClient): RealtimeClient {
    this.#clients.push(client);
    return client;
  }

  proxy(proxy: TcpProxy): TcpProxy {
    this.#proxies.push(proxy);
    return proxy;
  }

  hub(hub: Hub): Hub {
    this.#hubs.push(hub);
    return hub;
  }

  /** A restartable server slot: `stop()` / `start()` on the same port, `dispose` closes it. */
  server(hub: Hub, options: Omit<ServeHubOptions, 'port'> = {}): ServerSlot {
    const slot: { current: RunningHub | undefined } = { current: undefined };
    this.#servers.push(slot);
    let port = 0;
    return {
      get port() {
        return port;
      },
      get url() {
        return `http://127.0.0.1:${port}`;
      },
      start: async (next = hub) => {
        if (slot.current) throw new Error('The hub server is already running.');
        slot.current = await serveHub(next, { ...options, port });
        port = slot.current.port;
      },
      stop: async () => {
        const current = slot.current;
        slot.current = undefined;
        await current?.close();
      },
    };
  }

  async dispose(): Promise<void> {
    const steps: Array<() => unknown> = [
      ...this.#clients.map((client) => () => client.close()),
      ...this.#proxies.map((proxy) => () => proxy.close()),
      ...this.#servers.map((slot) => async () => {
        const current = slot.current;
        slot.current = undefined;
        await current?.close();
      }),
      ...this.#hubs.map((hub) => () => hub.close()),
    ];
    this.#clients = [];
    this.#proxies = [];
    this.#servers = [];
    this.#hubs = [];
    for (const step of steps) {
      try {
        await step();
      } catch {
        // Keep closing the rest.
      }
    }
  }
}

export interface ServerSlot {
  readonly port: number;
  readonly url: string;
  /** Listen (again) on the slot's port, serving `hub` (default: the slot's hub). */
  start(hub?: Hub): Promise<void>;
  stop(): Promise<void>;
}

// Traffic ---------------------------------------------------------------------------------------

export interface Counted {
  n: number;
}

/** What a subscriber saw on one channel: counters in delivery order, and gap signals. */
export interface Collector {
  readonly received: number[];
  readonly unique: Set<number>;
  readonly discontinuities: string[];
  readonly channel: Channel;
}

export function collect(client: RealtimeClient, channelName: string, event = 'n'): Collector {
  const channel = client.channel(channelName);
  const collector: Collector = { received: [], unique: new Set(), discontinuities: [], channel };
  channel.subscribe(event, (message) => {
    const { n } = message.data as Counted;
    collector.received.push(n);
    collector.unique.add(n);
  });
  channel.on('discontinuity', (event) => collector.discontinuities.push(event.reason));
  return collector;
}

export const counters = (total: number): number[] => Array.from({ length: total }, (_, n) => n);

export interface PublishOutcome {
  /** Publishes whose promise rejected, by error code. */
  rejected: Map<string, number>;
}

export const rejectedCount = (outcome: PublishOutcome): number =>
  [...outcome.rejected.values()].reduce((sum, count) => sum + count, 0);

/**
 * Publish counters `0..total-1` in order through the client API with at most `window`
 * publishes awaiting their ack at once. `beforeEach(n)` may pace the stream.
 */
export async function publishCounters(
  channel: Channel,
  total: number,
  options: {
    window: number;
    event?: string;
    beforeEach?: (n: number) => Promise<void> | void;
    /** Called as each publish settles: without an error once the provider acknowledged it. */
    onSettled?: (n: number, error?: unknown) => void;
  },
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { rejected: new Map() };
  const event = options.event ?? 'n';
  let inflight = 0;
  let wake: (() => void) | undefined;
  const settled = () => {
    inflight--;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    await options.beforeEach?.(n);
    while (inflight >= options.window) await new Promise<void>((resolve) => (wake = resolve));
    inflight++;
    pending.push(
      channel.publish(event, { n } satisfies Counted).then(
        () => {
          options.onSettled?.(n);
          settled();
        },
        (error: unknown) => {
          const code = (error as { code?: string }).code ?? String(error);
          outcome.rejected.set(code, (outcome.rejected.get(code) ?? 0) + 1);
          options.onSettled?.(n, error);
          settled();
        },
      ),
    );
  }
  await Promise.all(pending);
  return outcome;
}

/**
 * Wait (polling, bounded) until every counter arrived and the publisher's queue is empty, then
 * a short quiet period so late duplicates are counted too. Never throws: the caller records
 * the figures and asserts on them.
 */
export async function settleDelivery(
  collector: Collector,
  total: number,
  publisher: RealtimeClient,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const done = () => collector.unique.size >= total && publisher.queue.getSnapshot().size === 0;
  while (!done() && Date.now() < deadline) await sleep(20);
  await sleep(300);
  return done();
}

/** Repeat `action` at random intervals in [minMs, maxMs] until stopped. */
export function every(
  random: () => number,
  minMs: number,
  maxMs: number,
  action: () => void | Promise<void>,
): { stop(): Promise<void>; readonly count: number } {
  let stopped = false;
  let count = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(
      () => {
        if (stopped) return;
        count++;
        running = Promise.resolve(action()).then(() => {
          if (!stopped) schedule();
        });
      },
      between(random, minMs, maxMs),
    );
  };
  schedule();
  return {
    get count() {
      return count;
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}

/** A `Storage`-like object backed by a Map: Node 20 has no `localStorage`. */
export class MapStorage {
  readonly #items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
}

export function describeRejections(outcome: PublishOutcome): string {
  if (outcome.rejected.size === 0) return '0 publish rejections';
  return `publish rejections: ${[...outcome.rejected].map(([code, count]) => `${code}×${count}`).join(', ')}`;
}
