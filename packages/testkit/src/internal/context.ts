import type { Channel, EventMap, RealtimeClient, RealtimeMessage } from '@patchbay/realtime-core';
import type { TransportCapabilities } from '@patchbay/realtime-core/transport';
import type { AuthRejection, ConformanceClientOptions, ConformanceHarness } from '../harness.js';
import { waitForState } from '../waitFor.js';

/** Fast-paced defaults so outages and expiries resolve in tens of milliseconds. */
const DEFAULTS = {
  reconnect: { baseDelayMs: 20, maxDelayMs: 200, connectTimeoutMs: 4_000 },
  publishTimeoutMs: 4_000,
  typing: { timeoutMs: 400, throttleMs: 100 },
} as const;

/** Retries wait ~300 ms (jitter pinned near its ceiling): time to act while a client is offline. */
export const SLOW_RECONNECT = {
  reconnect: { baseDelayMs: 300, maxDelayMs: 300 },
  random: () => 0.999,
} as const;

export interface Collected<TData = unknown> {
  messages: RealtimeMessage<string, TData>[];
  data: TData[];
  stop(): void;
}

/** Shared state and helpers for one suite run; every test cleans up what it made. */
export class SuiteContext {
  readonly harness: ConformanceHarness;
  readonly #clients = new Set<RealtimeClient>();
  readonly #restores: Array<() => void | Promise<void>> = [];
  #serverStopped = false;
  #counter = 0;
  readonly #runId = Math.random().toString(36).slice(2, 8);
  capabilities: TransportCapabilities | undefined;

  constructor(harness: ConformanceHarness) {
    this.harness = harness;
  }

  /** A channel name no other test uses. */
  channelName(label: string): string {
    return `${label}-${this.#runId}-${++this.#counter}`;
  }

  /** A client with fast defaults, closed after the test. */
  async client(options: Partial<ConformanceClientOptions> = {}): Promise<RealtimeClient> {
    const client = await this.harness.createClient({
      ...options,
      clientId: options.clientId ?? `user-${++this.#counter}`,
      reconnect: { ...DEFAULTS.reconnect, ...options.reconnect },
      publishTimeoutMs: options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs,
      typing: { ...DEFAULTS.typing, ...options.typing },
    });
    this.#clients.add(client);
    this.capabilities ??= client.capabilities;
    return client;
  }

  /** A client that is connected. */
  async connected(options: Partial<ConformanceClientOptions> = {}): Promise<RealtimeClient> {
    const client = await this.client(options);
    await client.connect();
    return client;
  }

  /** Subscribe and wait until the channel is attached. */
  async subscribed<TData = unknown>(
    client: RealtimeClient,
    channelName: string,
    event?: string,
  ): Promise<Collected<TData>> {
    const channel = client.channel(channelName);
    const collected = collect<TData>(channel, event);
    await channel.ready();
    return collected;
  }

  async rejectAuth(rejection: AuthRejection): Promise<void> {
    const restore = await this.harness.rejectAuth(rejection);
    this.#restores.push(restore);
  }

  async stopServer(): Promise<void> {
    this.#serverStopped = true;
    await this.harness.stopServer();
  }

  async startServer(): Promise<void> {
    await this.harness.startServer();
    this.#serverStopped = false;
  }

  /**
   * Cut `client`'s link and resolve once the client has noticed (its state left `connected`).
   * Watches the store rather than polling: a fast reconnect can pass through `reconnecting` in
   * less time than a poll interval.
   */
  async drop(client: RealtimeClient): Promise<void> {
    let off = () => {};
    const noticed = new Promise<void>((resolve) => {
      off = client.connection.subscribe(() => {
        if (client.connection.getSnapshot().state !== 'connected') resolve();
      });
    });
    try {
      await this.harness.dropLink(client);
      await withTimeout(noticed, 5_000, 'the client to notice the dropped link');
    } finally {
      off();
    }
  }

  /**
   * Take `client`'s network away for `ms` and resolve when it is connected again, with every
   * state it went through (`states`) and the highest `attempt` it showed.
   */
  async blip(
    client: RealtimeClient,
    ms: number,
  ): Promise<{ states: string[]; maxAttempt: number }> {
    const states: string[] = [client.connection.getSnapshot().state];
    let maxAttempt = 0;
    const off = client.connection.subscribe(() => {
      const { state, attempt } = client.connection.getSnapshot();
      if (states.at(-1) !== state) states.push(state);
      maxAttempt = Math.max(maxAttempt, attempt);
    });
    try {
      await this.harness.interruptLink(client, ms);
      await waitForState(client, 'connected', { timeoutMs: 15_000 });
      return { states, maxAttempt };
    } finally {
      off();
    }
  }

  /** Wait until `client` is connected again after `drop()`. */
  async reconnected(client: RealtimeClient): Promise<void> {
    await waitForState(client, 'connected', { timeoutMs: 8_000 });
  }

  async cleanup(): Promise<void> {
    for (const client of this.#clients) client.close();
    this.#clients.clear();
    for (const restore of this.#restores.splice(0)) await restore();
    if (this.#serverStopped) await this.startServer();
  }
}

/** Record what a channel delivers (one event, or all). */
export function collect<TData = unknown>(
  channel: Channel<EventMap, EventMap>,
  event?: string,
): Collected<TData> {
  const messages: RealtimeMessage<string, TData>[] = [];
  const data: TData[] = [];
  const handler = (message: RealtimeMessage) => {
    messages.push(message as RealtimeMessage<string, TData>);
    data.push(message.data as TData);
  };
  const stop = event === undefined ? channel.subscribe(handler) : channel.subscribe(event, handler);
  return { messages, data, stop };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
