import { ErrorCodes } from '../codes.js';
import {
  AuthError,
  ConnectionError,
  MessageTooLargeError,
  productionMessage,
  type RealtimeError,
} from '../errors.js';
import { createMessageId } from '../internal/id.js';
import type {
  TransportMessage,
  TransportPresenceEvent,
  TransportPresenceMember,
  TransportSink,
  TransportSubscribeResult,
} from '../transport/types.js';

export type MemoryHubAction = 'subscribe' | 'publish' | 'presence';

export interface MemoryHubOptions {
  /**
   * Decide who a connection is. Default: the token if one is given (`alice` or `alice.anything`
   * → `alice`), else the requested clientId, else a generated one. Throw to refuse.
   */
  authenticate?(request: {
    token: string | undefined;
    clientId: string | undefined;
  }): { clientId: string } | Promise<{ clientId: string }>;
  /** Allow or refuse an action on a channel. Default: everything is allowed. */
  authorize?(request: {
    clientId: string;
    channel: string;
    action: MemoryHubAction;
  }): boolean | Promise<boolean>;
  /** Messages kept per channel for recovery and history. Default 1 000. */
  historySize?: number;
  /** Largest accepted message in bytes of JSON. Default 64 KiB. */
  maxMessageBytes?: number;
  /** Simulated one-way latency in ms. Default 0 (delivery on the next microtask). */
  latencyMs?: number;
}

/** Refuse a client, a channel, or one action on a channel. */
export interface MemoryAuthRejection {
  clientId?: string;
  channel?: string;
  action?: MemoryHubAction | 'connect';
}

export interface MemoryHubStats {
  connections: number;
  channels: number;
  members: number;
}

interface Connection {
  id: string;
  clientId: string;
  echo: boolean;
  sink: TransportSink;
  channels: Set<string>;
  blackholed: boolean;
  pending: Set<(error: RealtimeError) => void>;
}

interface ChannelState {
  seq: number;
  history: TransportMessage[];
  /** The stored messages by id, so an idempotent publish needs no history scan. */
  ids: Map<string, TransportMessage>;
  subscribers: Set<Connection>;
  members: Map<string, TransportPresenceMember>;
}

/** What a memory transport holds while connected. */
export interface MemoryHubSession {
  readonly connectionId: string;
  readonly clientId: string;
}

/**
 * An in-process realtime server: channels, presence, history with sequence numbers, acks, auth
 * hooks and fault injection. Every `memoryTransport({ hub })` built on one hub talks to the same
 * channels, so tests, demos and SSR need no server. Deliveries are asynchronous, like a network.
 */
export class MemoryHub {
  readonly #options: Required<Omit<MemoryHubOptions, 'authenticate' | 'authorize'>> &
    Pick<MemoryHubOptions, 'authenticate' | 'authorize'>;
  readonly #connections = new Map<string, Connection>();
  readonly #channels = new Map<string, ChannelState>();
  readonly #rejections = new Set<MemoryAuthRejection>();
  #accepting = true;
  #latencyMs: number;

  constructor(options: MemoryHubOptions = {}) {
    this.#options = {
      historySize: options.historySize ?? 1_000,
      maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
      latencyMs: options.latencyMs ?? 0,
      ...(options.authenticate ? { authenticate: options.authenticate } : {}),
      ...(options.authorize ? { authorize: options.authorize } : {}),
    };
    this.#latencyMs = this.#options.latencyMs;
  }

  get maxMessageBytes(): number {
    return this.#options.maxMessageBytes;
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
    const state = this.#channels.get(channel);
    if (!state) return [];
    let messages = state.history.filter(
      (m) => options.afterSeq === undefined || (m.seq ?? 0) > options.afterSeq,
    );
    if (options.limit !== undefined)
      messages = options.limit > 0 ? messages.slice(-options.limit) : [];
    return messages.map((m) => ({ ...m }));
  }

  stats(): MemoryHubStats {
    let members = 0;
    let channels = 0;
    for (const state of this.#channels.values()) {
      if (state.subscribers.size > 0) channels++;
      members += new Set([...state.members.values()].map((m) => m.clientId)).size;
    }
    return { connections: this.#connections.size, channels, members };
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
    const victims = [...this.#connections.values()].filter(
      (c) =>
        (filter.clientId === undefined || c.clientId === filter.clientId) &&
        (filter.connectionId === undefined || c.id === filter.connectionId),
    );
    for (const connection of victims) {
      this.#remove(connection, false);
      const error = new ConnectionError(
        ErrorCodes.ConnectionLost,
        process.env.NODE_ENV !== 'production'
          ? 'The memory hub dropped this connection.'
          : productionMessage(ErrorCodes.ConnectionLost, 'memory'),
        {
          retryable: true,
        },
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
    for (const connection of this.#connections.values()) {
      if (
        (filter.clientId === undefined || connection.clientId === filter.clientId) &&
        (filter.connectionId === undefined || connection.id === filter.connectionId)
      ) {
        connection.blackholed = true;
      }
    }
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
        {
          retryable: true,
        },
      );
    }
    const { clientId } = await this.#authenticate(request.token, request.clientId);
    if (this.#rejected({ clientId, action: 'connect' })) {
      throw new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `The memory hub refused the credentials of "${clientId}". Issue a valid token from auth().`
          : productionMessage(ErrorCodes.AuthRejected, clientId),
      );
    }
    const connection: Connection = {
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
      await this.#authorizeOrThrow(connection, channel, 'subscribe');
      const state = this.#channel(channel);
      state.subscribers.add(connection);
      connection.channels.add(channel);
      let recovered = false;
      if (options.resumeFrom !== undefined) {
        const oldest = state.history[0]?.seq;
        const missed = state.history.filter((m) => (m.seq ?? 0) > (options.resumeFrom ?? 0));
        // Recovered when history still reaches back to the first missed message.
        // Beyond the channel's seq means lost state: a discontinuity, not a recovery.
        recovered =
          state.seq === options.resumeFrom ||
          (options.resumeFrom < state.seq &&
            oldest !== undefined &&
            oldest <= options.resumeFrom + 1);
        if (recovered) {
          for (const message of missed) {
            if (!connection.echo && message.connectionId === connection.id) continue;
            this.#deliver(connection, () => connection.sink.message({ ...message }));
          }
        }
      }
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
      this.#dropIfUnused(channel);
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
      if (size > this.#options.maxMessageBytes) {
        throw new MessageTooLargeError('memory', size, this.#options.maxMessageBytes);
      }
      await this.#authorizeOrThrow(connection, message.channel, 'publish');
      if (message.ephemeral) {
        const state = this.#channel(message.channel);
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
      await this.#authorizeOrThrow(connection, channel, 'presence');
      const state = this.#channel(channel);
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

  #store(
    connection: Connection | undefined,
    message: { channel: string; id: string; event: string; data: unknown; clientId?: string },
    idempotent = true,
  ): TransportMessage {
    const state = this.#channel(message.channel);
    // Client publishes are idempotent by id: a re-send after a lost ack is acknowledged, not stored twice.
    const existing = idempotent ? state.ids.get(message.id) : undefined;
    if (existing) return existing;
    const stored: TransportMessage = {
      channel: message.channel,
      id: message.id,
      event: message.event,
      data: message.data,
      timestamp: Date.now(),
      seq: ++state.seq,
      ...(connection
        ? { clientId: connection.clientId, connectionId: connection.id }
        : message.clientId !== undefined
          ? { clientId: message.clientId }
          : {}),
    };
    state.history.push(stored);
    state.ids.set(stored.id, stored);
    if (state.history.length > this.#options.historySize) {
      const dropped = state.history.shift() as TransportMessage;
      if (state.ids.get(dropped.id) === dropped) state.ids.delete(dropped.id);
    }
    for (const subscriber of state.subscribers) {
      if (!subscriber.echo && subscriber === connection) continue;
      this.#deliver(subscriber, () => subscriber.sink.message({ ...stored }));
    }
    return stored;
  }

  /** `deliberate`: a leave, unsubscribe or close, not a dropped link (see `presenceGrace`). */
  #presenceLeave(connection: Connection, channel: string, deliberate = true): void {
    const state = this.#channels.get(channel);
    const member = state?.members.get(connection.id);
    if (!state || !member) return;
    state.members.delete(connection.id);
    this.#broadcastPresence(state, channel, { type: 'leave', member, deliberate });
  }

  #broadcastPresence(state: ChannelState, channel: string, event: TransportPresenceEvent): void {
    for (const subscriber of state.subscribers) {
      this.#deliver(subscriber, () => subscriber.sink.presence(channel, event));
    }
  }

  #remove(connection: Connection, deliberate: boolean): void {
    if (!this.#connections.delete(connection.id)) return;
    for (const channel of connection.channels) {
      this.#channels.get(channel)?.subscribers.delete(connection);
    }
    // Presence may have been entered on channels the connection never subscribed to: leave
    // every one (subscribers are told), then forget the channels nothing holds any more.
    // (Deleting from a Map while iterating it is safe: the rest is still visited.)
    for (const [channel, state] of this.#channels) {
      if (state.members.has(connection.id)) this.#presenceLeave(connection, channel, deliberate);
      this.#dropIfUnused(channel);
    }
  }

  /**
   * Forget a channel that holds nothing: no subscribers, no members, never a message (its next
   * state would be the same fresh one), so visiting many channel names does not grow the hub.
   */
  #dropIfUnused(name: string): void {
    const state = this.#channels.get(name);
    if (state && state.seq === 0 && state.subscribers.size === 0 && state.members.size === 0)
      this.#channels.delete(name);
  }

  #channel(name: string): ChannelState {
    let state = this.#channels.get(name);
    if (!state) {
      state = { seq: 0, history: [], ids: new Map(), subscribers: new Set(), members: new Map() };
      this.#channels.set(name, state);
    }
    return state;
  }

  async #request<T>(
    session: MemoryHubSession,
    run: (connection: Connection) => Promise<T>,
  ): Promise<T> {
    await this.#tick();
    const connection = this.#connections.get(session.connectionId);
    if (!connection) {
      throw new ConnectionError(
        ErrorCodes.ConnectionLost,
        process.env.NODE_ENV !== 'production'
          ? 'This memory hub connection is closed.'
          : productionMessage(ErrorCodes.ConnectionLost, 'memory', 'closed'),
        {
          retryable: true,
        },
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

  async #authenticate(
    token: string | undefined,
    clientId: string | undefined,
  ): Promise<{ clientId: string }> {
    if (this.#options.authenticate) {
      try {
        const identity = await this.#options.authenticate({ token, clientId });
        if (!identity || typeof identity.clientId !== 'string' || identity.clientId.length === 0) {
          throw new Error('authenticate() must return { clientId }');
        }
        return identity;
      } catch (error) {
        if (error instanceof AuthError) throw error;
        throw new AuthError(
          process.env.NODE_ENV !== 'production'
            ? `The memory hub rejected the token: ${(error as Error).message}`
            : productionMessage(ErrorCodes.AuthRejected, (error as Error).message),
          {
            cause: error,
          },
        );
      }
    }
    if (token) return { clientId: token.split('.')[0] || token };
    return { clientId: clientId ?? `anon-${createMessageId().slice(0, 8)}` };
  }

  async #authorizeOrThrow(
    connection: Connection,
    channel: string,
    action: MemoryHubAction,
  ): Promise<void> {
    // A synchronous verdict is not awaited: a hook must not delay a publish behind one that
    // arrives after it (with acks off, publish resolves on hand-off).
    const verdict = this.#rejected({ clientId: connection.clientId, channel, action })
      ? false
      : (this.#options.authorize?.({ clientId: connection.clientId, channel, action }) ?? true);
    const allowed = verdict instanceof Promise ? await verdict : verdict;
    if (!allowed) {
      throw new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `"${connection.clientId}" is not allowed to ${action} on "${channel}". Grant it in the hub's authorize() hook, or use a channel this user may access.`
          : productionMessage(ErrorCodes.AuthRejected, connection.clientId, action, channel),
      );
    }
  }

  #rejected(request: {
    clientId: string;
    channel?: string;
    action: MemoryHubAction | 'connect';
  }): boolean {
    for (const rule of this.#rejections) {
      if (rule.clientId !== undefined && rule.clientId !== request.clientId) continue;
      if (rule.channel !== undefined && rule.channel !== request.channel) continue;
      if (rule.action !== undefined && rule.action !== request.action) continue;
      if (rule.channel !== undefined && request.action === 'connect') continue;
      return true;
    }
    return false;
  }

  #deliver(connection: Connection, deliver: () => void): void {
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
