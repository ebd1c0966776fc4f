import { ErrorCodes } from '../codes.js';
import { ConnectionError, MessageTooLargeError, productionMessage } from '../errors.js';
import { createMessageId } from '../internal/id.js';
import type {
  TransportMessage,
  TransportPresenceEvent,
  TransportPresenceMember,
  TransportSink,
  TransportSubscribeResult,
} from '../transport/types.js';
import { authenticate, authorize, checkConnect } from './hubAccess.js';
import {
  append,
  countChannels,
  dropIfUnused,
  type HubChannel,
  type HubChannels,
  type HubConnection,
  historyOf,
  missedSince,
  openChannel,
} from './hubChannels.js';
import type {
  MemoryAuthRejection,
  MemoryHubOptions,
  MemoryHubSession,
  MemoryHubStats,
} from './types.js';

/**
 * An in-process realtime server: channels, presence, history with sequence numbers, acks, auth
 * hooks and fault injection. Every `memoryTransport({ hub })` built on one hub talks to the same
 * channels, so tests, demos and SSR need no server. Deliveries are asynchronous, like a network.
 */
export class MemoryHub {
  readonly maxMessageBytes: number;
  readonly #connections = new Map<string, HubConnection>();
  readonly #channels: HubChannels = new Map();
  readonly #rejections = new Set<MemoryAuthRejection>();
  readonly #options: MemoryHubOptions;
  readonly #historySize: number;
  #accepting = true;
  #latencyMs: number;

  constructor(options: MemoryHubOptions = {}) {
    this.#options = options;
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    this.#historySize = options.historySize ?? 1_000;
    this.#latencyMs = options.latencyMs ?? 0;
  }

  // Server-side API ----------------------------------------------------------------------------

  /**
   * Publish from the server: delivered to every subscriber, stored in history. `clientId` is who
   * the message is from, as receivers see it (the server vouches for it).
   */
  publish(
    channel: string,
    event: string,
    data: unknown,
    options: { id?: string; clientId?: string } = {},
  ): TransportMessage {
    // Server-side publishes are relayed as given, duplicates included, as provider HTTP APIs do:
    // dropping a repeated id is the client's job.
    return this.#store(
      undefined,
      {
        channel,
        id: options.id ?? createMessageId(),
        event,
        data,
        ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      },
      false,
    );
  }

  history(
    channel: string,
    options: { limit?: number; afterSeq?: number } = {},
  ): TransportMessage[] {
    return historyOf(this.#channels.get(channel), options);
  }

  stats(): MemoryHubStats {
    return { connections: this.#connections.size, ...countChannels(this.#channels) };
  }

  /** Provider-level subscriptions on a channel: one per connection, however many handlers. */
  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.subscribers.size ?? 0;
  }

  members(channel: string): TransportPresenceMember[] {
    return [...(this.#channels.get(channel)?.members.values() ?? [])];
  }

  /** Connection ids, optionally of one client. */
  connectionIds(clientId?: string): string[] {
    return [...this.#connections.values()]
      .filter((c) => clientId === undefined || c.clientId === clientId)
      .map((c) => c.id);
  }

  // Fault injection ----------------------------------------------------------------------------

  /** Cut connections abruptly, as a network failure would (the client sees the link lost). */
  drop(filter: { clientId?: string; connectionId?: string } = {}): number {
    const victims = this.#matching(filter);
    for (const connection of victims) {
      this.#remove(connection, false);
      const error = new ConnectionError(
        ErrorCodes.ConnectionLost,
        process.env.NODE_ENV !== 'production'
          ? 'The memory hub dropped this connection.'
          : productionMessage(ErrorCodes.ConnectionLost, 'memory'),
        { retryable: true },
      );
      for (const reject of connection.pending) reject(error);
      this.#defer(() => connection.sink.lost(error));
    }
    return victims.length;
  }

  /** An outage: drop everyone and refuse connections until `start()`. */
  stop(): void {
    this.#accepting = false;
    this.drop();
  }

  start(): void {
    this.#accepting = true;
  }

  /** Keep a connection open but never answer it again (a half-open link). */
  blackhole(filter: { clientId?: string; connectionId?: string }): void {
    for (const connection of this.#matching(filter)) connection.blackholed = true;
  }

  #matching(filter: { clientId?: string; connectionId?: string }): HubConnection[] {
    return [...this.#connections.values()].filter(
      (c) =>
        (filter.clientId === undefined || c.clientId === filter.clientId) &&
        (filter.connectionId === undefined || c.id === filter.connectionId),
    );
  }

  /** Forget a channel's history, as if it had aged out: a later resume cannot recover. */
  clearHistory(channel: string): void {
    const state = this.#channels.get(channel);
    if (state) {
      state.history = [];
      state.ids.clear();
    }
  }

  /** Refuse matching connects or channel actions until the returned function is called. */
  rejectAuth(rule: MemoryAuthRejection): () => void {
    const entry = { ...rule };
    this.#rejections.add(entry);
    return () => {
      this.#rejections.delete(entry);
    };
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  // Transport-facing API -----------------------------------------------------------------------

  /** @internal */
  async connect(request: {
    token: string | undefined;
    clientId: string | undefined;
    echo: boolean;
    sink: TransportSink;
  }): Promise<MemoryHubSession> {
    await this.#tick();
    if (!this.#accepting) {
      throw new ConnectionError(
        ErrorCodes.ConnectionFailed,
        process.env.NODE_ENV !== 'production'
          ? 'The memory hub is stopped (simulated outage).'
          : productionMessage(ErrorCodes.ConnectionFailed, 'memory', 'stopped'),
        { retryable: true },
      );
    }
    const clientId = await authenticate(
      this.#options.authenticate,
      request.token,
      request.clientId,
    );
    checkConnect(this.#rejections, clientId);
    const connection: HubConnection = {
      id: createMessageId(),
      clientId,
      echo: request.echo,
      sink: request.sink,
      channels: new Set(),
      blackholed: false,
      pending: new Set(),
    };
    this.#connections.set(connection.id, connection);
    return { connectionId: connection.id, clientId };
  }

  /** @internal A deliberate close: presence leaves, no `lost`. */
  disconnect(session: MemoryHubSession): void {
    const connection = this.#connections.get(session.connectionId);
    if (connection) this.#remove(connection, true);
  }

  /** @internal */
  subscribe(
    session: MemoryHubSession,
    channel: string,
    options: { resumeFrom?: number },
  ): Promise<TransportSubscribeResult> {
    return this.#request(session, async (connection) => {
      await authorize(
        this.#rejections,
        this.#options.authorize,
        connection.clientId,
        channel,
        'subscribe',
      );
      const state = openChannel(this.#channels, channel);
      state.subscribers.add(connection);
      connection.channels.add(channel);
      const missed = missedSince(state, options.resumeFrom);
      for (const message of missed ?? []) {
        if (!connection.echo && message.connectionId === connection.id) continue;
        this.#deliver(connection, () => connection.sink.message({ ...message }));
      }
      const recovered = missed !== undefined;
      const members = [...state.members.values()];
      this.#deliver(connection, () => connection.sink.presence(channel, { type: 'sync', members }));
      return { recovered, seq: state.seq };
    });
  }

  /** @internal */
  unsubscribe(session: MemoryHubSession, channel: string): Promise<void> {
    return this.#request(session, async (connection) => {
      connection.channels.delete(channel);
      const state = this.#channels.get(channel);
      state?.subscribers.delete(connection);
      if (state?.members.has(connection.id)) this.#presenceLeave(connection, channel);
      dropIfUnused(this.#channels, channel);
    });
  }

  /** @internal */
  send(
    session: MemoryHubSession,
    message: { channel: string; id: string; event: string; data: unknown; ephemeral?: boolean },
  ): Promise<void> {
    return this.#request(session, async (connection) => {
      const size = new TextEncoder().encode(
        JSON.stringify({ event: message.event, data: message.data }),
      ).length;
      if (size > this.maxMessageBytes) {
        throw new MessageTooLargeError('memory', size, this.maxMessageBytes);
      }
      await authorize(
        this.#rejections,
        this.#options.authorize,
        connection.clientId,
        message.channel,
        'publish',
      );
      if (message.ephemeral) {
        const state = openChannel(this.#channels, message.channel);
        for (const subscriber of state.subscribers) {
          if (subscriber === connection) continue;
          this.#deliver(subscriber, () =>
            subscriber.sink.message({
              ...message,
              clientId: connection.clientId,
              connectionId: connection.id,
              timestamp: Date.now(),
              ephemeral: true,
            }),
          );
        }
        return;
      }
      this.#store(connection, message);
    });
  }

  /** @internal */
  presence(
    session: MemoryHubSession,
    channel: string,
    action: 'enter' | 'update' | 'leave',
    data: unknown,
  ): Promise<void> {
    return this.#request(session, async (connection) => {
      if (action === 'leave') {
        this.#presenceLeave(connection, channel);
        return;
      }
      await authorize(
        this.#rejections,
        this.#options.authorize,
        connection.clientId,
        channel,
        'presence',
      );
      const state = openChannel(this.#channels, channel);
      const member: TransportPresenceMember = {
        clientId: connection.clientId,
        connectionId: connection.id,
        data,
      };
      const type = state.members.has(connection.id) ? 'update' : 'enter';
      state.members.set(connection.id, member);
      this.#broadcastPresence(state, channel, { type, member });
    });
  }

  // Internals ----------------------------------------------------------------------------------

  /** Store a message and deliver it to the channel's subscribers (not if it is a re-send). */
  #store(
    connection: HubConnection | undefined,
    message: { channel: string; id: string; event: string; data: unknown; clientId?: string },
    idempotent = true,
  ): TransportMessage {
    const state = openChannel(this.#channels, message.channel);
    // Client publishes are idempotent by id: a re-send after a lost ack is acknowledged, not stored twice.
    const existing = idempotent ? state.ids.get(message.id) : undefined;
    if (existing) return existing;
    const stored = append(
      state,
      message,
      connection
        ? { clientId: connection.clientId, connectionId: connection.id }
        : message.clientId !== undefined
          ? { clientId: message.clientId }
          : {},
      this.#historySize,
    );
    for (const subscriber of state.subscribers) {
      if (!subscriber.echo && subscriber === connection) continue;
      this.#deliver(subscriber, () => subscriber.sink.message({ ...stored }));
    }
    return stored;
  }

  /** `deliberate`: a leave, unsubscribe or close, not a dropped link (see `presenceGrace`). */
  #presenceLeave(connection: HubConnection, channel: string, deliberate = true): void {
    const state = this.#channels.get(channel);
    const member = state?.members.get(connection.id);
    if (!state || !member) return;
    state.members.delete(connection.id);
    this.#broadcastPresence(state, channel, { type: 'leave', member, deliberate });
  }

  #broadcastPresence(state: HubChannel, channel: string, event: TransportPresenceEvent): void {
    for (const subscriber of state.subscribers) {
      this.#deliver(subscriber, () => subscriber.sink.presence(channel, event));
    }
  }

  #remove(connection: HubConnection, deliberate: boolean): void {
    if (!this.#connections.delete(connection.id)) return;
    for (const channel of connection.channels) {
      this.#channels.get(channel)?.subscribers.delete(connection);
    }
    // Presence may have been entered on channels the connection never subscribed to: leave
    // every one (subscribers are told), then forget the channels nothing holds any more.
    for (const [channel, state] of this.#channels) {
      if (state.members.has(connection.id)) this.#presenceLeave(connection, channel, deliberate);
      dropIfUnused(this.#channels, channel);
    }
  }

  async #request<T>(
    session: MemoryHubSession,
    run: (connection: HubConnection) => Promise<T>,
  ): Promise<T> {
    await this.#tick();
    const connection = this.#connections.get(session.connectionId);
    if (!connection) {
      throw new ConnectionError(
        ErrorCodes.ConnectionLost,
        process.env.NODE_ENV !== 'production'
          ? 'This memory hub connection is closed.'
          : productionMessage(ErrorCodes.ConnectionLost, 'memory', 'closed'),
        { retryable: true },
      );
    }
    if (connection.blackholed) {
      // A half-open link: the request is never answered, unless the connection is dropped.
      return new Promise<T>((_, reject) => {
        connection.pending.add(reject);
      });
    }
    const result = await run(connection);
    await this.#tick();
    return result;
  }

  #deliver(connection: HubConnection, deliver: () => void): void {
    this.#defer(() => {
      if (this.#connections.get(connection.id) === connection && !connection.blackholed) deliver();
    });
  }

  #defer(run: () => void): void {
    if (this.#latencyMs > 0) setTimeout(run, this.#latencyMs);
    else queueMicrotask(run);
  }

  #tick(): Promise<void> {
    return new Promise((resolve) => this.#defer(resolve));
  }
}

/** Create a hub; pass it to every `memoryTransport({ hub })` that should share channels. */
export function createMemoryHub(options: MemoryHubOptions = {}): MemoryHub {
  return new MemoryHub(options);
}
