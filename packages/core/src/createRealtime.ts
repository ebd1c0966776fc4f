import { type ReconnectOptions, resolveReconnectOptions } from './backoff.js';
import { Channel, toEnvelope } from './channel.js';
import { validateChannelName } from './channelName.js';
import { ErrorCodes } from './codes.js';
import type { ConnectionSnapshot } from './connectionState.js';
import { browserConnectivity, type ConnectivitySource } from './connectivity.js';
import { DedupeWindow } from './dedupe.js';
import {
  type ChannelDefinition,
  type EventMap,
  type EventSchemas,
  type InferPresence,
  type InferPresenceInput,
  type InferPublishEvents,
  type InferReceiveEvents,
  isChannelDefinition,
} from './defineChannel.js';
import {
  ConfigError,
  MessageTooLargeError,
  NotSupportedError,
  productionMessage,
  RealtimeError,
  ValidationError,
} from './errors.js';
import type { ChannelHost, LiveChannel } from './internal/channelHost.js';
import { ConnectionManager } from './internal/connectionManager.js';
import { Emitter, reportAsync } from './internal/emitter.js';
import { createMessageId } from './internal/id.js';
import { PublishQueue, type QueueStatus } from './internal/publishQueue.js';
import { runSchema } from './internal/validate.js';
import { PRESENCE_UPDATE_EVENT, RESERVED_EVENT_PREFIX, TYPING_EVENT } from './message.js';
import { memoryQueueStorage, type QueuedMessage, type QueueStorage } from './queueStorage.js';
import type { StandardSchemaV1 } from './standardSchema.js';
import type { ReadableStore } from './store.js';
import { systemTimers, type Timers } from './timers.js';
import type { Transport, TransportCapabilities, TransportMessage } from './transport/types.js';

export interface QueueOptions {
  /** Most messages held while offline (including those awaiting ack). Default 1 000. */
  maxSize?: number;
  /** Where queued messages live. Default: memory; use `localStorageQueueStorage()` to survive reloads. */
  storage?: QueueStorage;
}

export interface TypingOptions {
  /** Typing stops by itself this long after the last `start()`. Default 3 000 ms. */
  timeoutMs?: number;
  /** At most one typing signal per this interval while typing continues. Default 1 500 ms. */
  throttleMs?: number;
}

export interface PresenceOptions {
  /**
   * Where the provider reports a dropped member at once (`capabilities.presenceGrace: false`,
   * e.g. Pusher), how long core waits before showing the leave: a member whose link returns
   * within it is never seen leaving. Deliberate leaves (`leave()`, `close()`) are shown at once.
   * Default 5 000 ms, the hub's grace; 0 shows every leave at once.
   */
  leaveGraceMs?: number;
}

export interface RealtimeOptions {
  /** The provider adapter, e.g. `socketioTransport({ url })` or `memoryTransport({ hub })`. */
  transport: Transport;
  /** Requested identity. The provider's authentication has the last word. */
  clientId?: string;
  /** Called before every connection attempt, so a refreshed token is used on reconnect. */
  auth?: () => Promise<string> | string;
  reconnect?: ReconnectOptions;
  queue?: QueueOptions;
  /** How long a publish waits for the provider's ack. Default 10 000 ms. */
  publishTimeoutMs?: number;
  /** Receive your own messages. Default true. */
  echo?: boolean;
  /** Channel definitions to validate by name, also for `client.channel('name')` lookups. */
  schemas?: readonly ChannelDefinition[];
  /** How many recent message ids are remembered to drop duplicates. Default 5 000. */
  dedupeWindow?: number;
  typing?: TypingOptions;
  presence?: PresenceOptions;
  /** Injected clock (fake timers in tests). */
  timers?: Timers;
  /** Injected randomness for backoff jitter. */
  random?: () => number;
  /** Online / visibility signals that trigger an immediate retry. Default: browser events. */
  connectivity?: ConnectivitySource;
}

export interface ClientEvents {
  /**
   * Problems that have no caller to reject: an incoming message or member's presence data that
   * failed its schema (also shown on that channel's `state.error`), a
   * channel that could not attach, a queued message rejected after a reload, a message restored
   * from queue storage that fails the publish checks (dropped unsent).
   */
  error: RealtimeError;
}

/** The app's handle on one realtime connection. Create it with `createRealtime`. */
export interface RealtimeClient {
  /** The provider name, e.g. `socketio`. */
  readonly provider: string;
  readonly capabilities: Readonly<TransportCapabilities>;
  /** The connection state store (`useSyncExternalStore`-compatible). */
  readonly connection: ReadableStore<ConnectionSnapshot>;
  /** The offline queue's status: how many publishes wait for a connection or an ack. */
  readonly queue: ReadableStore<QueueStatus>;
  /**
   * Start connecting (a no-op if already connecting or connected). Resolves when connected,
   * rejects if the client fails or is closed first — the state store says the same.
   */
  connect(): Promise<void>;
  /** Close deliberately: state `disconnected`, no retries. Subscriptions and the queue are kept for a later `connect()`. */
  close(): void;
  /**
   * The channel of a definition: `publish`, handlers and presence typed from its schemas and
   * validated both ways. Members' data is the presence schema's output; `enter`, `update` and
   * `hold` take its input.
   */
  channel<
    TName extends string,
    TSchemas extends EventSchemas,
    TPresenceSchema extends StandardSchemaV1 | undefined,
  >(
    definition: ChannelDefinition<TName, TSchemas, TPresenceSchema>,
  ): Channel<
    InferPublishEvents<TSchemas>,
    InferReceiveEvents<TSchemas>,
    InferPresence<TPresenceSchema>,
    InferPresenceInput<TPresenceSchema>
  >;
  channel<TEvents extends EventMap = EventMap>(name: string): Channel<TEvents, TEvents>;
  on<TKey extends keyof ClientEvents>(
    event: TKey,
    listener: (payload: ClientEvents[TKey]) => void,
  ): () => void;
}

/**
 * Create a realtime client over a transport. Nothing connects until `connect()`, so creating
 * a client during server rendering or at module load is free.
 */
export function createRealtime(options: RealtimeOptions): RealtimeClient {
  return new Client(options);
}

class Client implements RealtimeClient, ChannelHost {
  readonly transport: Transport;
  readonly timers: Timers;
  readonly typingOptions: { timeoutMs: number; throttleMs: number };
  readonly presenceLeaveGraceMs: number;
  readonly #manager: ConnectionManager;
  readonly #queue: PublishQueue;
  /**
   * Every channel object by name, held weakly: `client.channel(name)` returns the same object as
   * long as the app holds it, and one nothing holds or subscribes to is garbage-collected (its
   * entry goes with it), so an app that visits many channels does not keep them all.
   */
  readonly #channels = new Map<string, { deref(): Channel | undefined }>();
  readonly #collected =
    typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry<string>((name) => {
          if (!this.#channels.get(name)?.deref()) this.#channels.delete(name);
        })
      : undefined;
  /** The channels that are live (held: activated and not yet deactivated), held strongly. */
  readonly #live = new Map<string, Channel>();
  readonly #schemas = new Map<string, ChannelDefinition>();
  /** Recent messages (`channel + '\u0000' + id`), to drop duplicates. */
  readonly #dedupe: DedupeWindow;
  /** Ids this client published, to drop its own messages when `echo` is false. */
  readonly #ownIds: DedupeWindow;
  readonly #echo: boolean;
  readonly #events = new Emitter<ClientEvents>();
  readonly #inboundChains = new Map<string, Promise<void>>();
  #session = 0;
  /** Channels whose attach was started on the current link, so none is attached twice. */
  readonly #attachedOnThisLink = new Set<LiveChannel>();

  constructor(options: RealtimeOptions) {
    checkOptions(options);
    this.transport = options.transport;
    this.timers = options.timers ?? systemTimers;
    this.#echo = options.echo ?? true;
    this.typingOptions = {
      timeoutMs: options.typing?.timeoutMs ?? 3_000,
      throttleMs: options.typing?.throttleMs ?? 1_500,
    };
    this.presenceLeaveGraceMs = options.presence?.leaveGraceMs ?? 5_000;
    const windowSize = options.dedupeWindow ?? 5_000;
    this.#dedupe = new DedupeWindow(windowSize);
    this.#ownIds = new DedupeWindow(windowSize);
    for (const definition of options.schemas ?? []) this.#register(definition);

    this.#queue = new PublishQueue({
      maxSize: options.queue?.maxSize ?? 1_000,
      storage: options.queue?.storage ?? memoryQueueStorage(),
      timers: this.timers,
      ackTimeoutMs: options.publishTimeoutMs ?? 10_000,
      maxInFlight: publishWindow(this.transport.capabilities.maxPublishesInFlight),
      retryDelayMs: 1_000,
      send: (message) =>
        this.transport.publish({
          channel: message.channel,
          id: message.id,
          event: message.event,
          data: message.data,
        }),
      onDropped: (error) => this.reportError(error),
      check: (stored) => this.#checkStored(stored),
    });

    this.#manager = new ConnectionManager({
      transport: this.transport,
      reconnect: resolveReconnectOptions(options.reconnect),
      timers: this.timers,
      random: options.random ?? Math.random,
      connectivity: options.connectivity ?? browserConnectivity,
      auth: options.auth,
      clientId: options.clientId,
      echo: this.#echo,
      sink: {
        message: (message) => this.#receive(message),
        presence: (channel, event) => {
          const target = this.#live.get(channel);
          if (target && target.refCount > 0) target.receivePresence(event);
        },
        discontinuity: (channel, reason) => this.#live.get(channel)?.emitDiscontinuity(reason),
        error: (error) => this.reportError(error),
      },
      onConnected: () => void this.#onConnected(),
      onLost: () => this.#suspend('attaching'),
    });
    // Read what a previous page left queued now, so publishes made before connecting queue behind it.
    void this.#queue.load();
  }

  get provider(): string {
    return this.transport.provider;
  }

  get capabilities(): Readonly<TransportCapabilities> {
    return this.transport.capabilities;
  }

  get connection(): ReadableStore<ConnectionSnapshot> {
    return this.#manager.store;
  }

  get queue(): ReadableStore<QueueStatus> {
    return this.#queue.status;
  }

  connect(): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        const snapshot = this.#manager.snapshot;
        if (snapshot.state === 'connected') resolve();
        else if (snapshot.state === 'failed') reject(snapshot.error);
        else if (snapshot.state === 'disconnected') {
          reject(
            new RealtimeError(
              ErrorCodes.ConnectionClosed,
              process.env.NODE_ENV !== 'production'
                ? 'close() was called before the client connected.'
                : productionMessage(ErrorCodes.ConnectionClosed),
            ),
          );
        } else return false;
        return true;
      };
      this.#manager.connect();
      if (check()) return;
      const off = this.#manager.store.subscribe(() => {
        if (check()) off();
      });
    });
    // Apps that rely on the state store may ignore this promise; that must not be an unhandled rejection.
    settled.catch(() => {});
    return settled;
  }

  close(): void {
    this.#suspend('detached');
    this.#manager.close();
  }

  channel(nameOrDefinition: string | ChannelDefinition): Channel {
    let name: string;
    if (isChannelDefinition(nameOrDefinition)) {
      this.#register(nameOrDefinition);
      name = nameOrDefinition.name;
    } else {
      validateChannelName(nameOrDefinition);
      name = nameOrDefinition;
    }
    const existing = this.#channels.get(name)?.deref();
    if (existing) return existing;
    const channel = new Channel(this, name);
    // Without WeakRef (very old engines) channels are kept for the client's lifetime.
    this.#channels.set(
      name,
      typeof WeakRef === 'function' ? new WeakRef(channel) : { deref: () => channel },
    );
    this.#collected?.register(channel, name);
    return channel;
  }

  on<TKey extends keyof ClientEvents>(
    event: TKey,
    listener: (payload: ClientEvents[TKey]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  // ChannelHost ---------------------------------------------------------------------------------

  isConnected(): boolean {
    return this.#manager.snapshot.state === 'connected';
  }

  ownClientId(): string | undefined {
    return this.#manager.snapshot.clientId;
  }

  presenceSchema(channel: string): StandardSchemaV1 | undefined {
    return this.#schemas.get(channel)?.presence;
  }

  activate(channel: Channel): void {
    this.#live.set(channel.name, channel);
    if (this.isConnected()) {
      this.#attachedOnThisLink.add(channel);
      void channel.attach();
    } else channel.suspend('attaching');
  }

  deactivate(channel: Channel): void {
    this.#live.delete(channel.name);
    channel.detach();
    this.#attachedOnThisLink.delete(channel);
    if (this.isConnected()) this.transport.unsubscribe(channel.name).catch(() => {});
  }

  async publish(
    channel: string,
    event: string,
    data: unknown,
    id: string | undefined,
  ): Promise<void> {
    checkEventName(channel, event);
    const { transport } = this;
    if (!transport.capabilities.clientPublish) {
      throw new NotSupportedError(
        transport.provider,
        'publishing from clients',
        process.env.NODE_ENV !== 'production'
          ? 'Publish from your server with the provider package’s /server helpers and call it from the app.'
          : '',
      );
    }
    const prepared = this.#prepare(channel, event, data);
    const value = this.#schemas.has(channel) ? await prepared : prepared;
    const messageId = id ?? createMessageId();
    if (!isMessageId(messageId)) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `publish option "id" must be a non-empty string of at most 200 characters; got ${JSON.stringify(id)}.`
          : productionMessage(ErrorCodes.InvalidConfig, 'id', id),
      );
    }
    if (!this.#echo) this.#ownIds.add(messageId);
    return this.#queue.enqueue({
      id: messageId,
      channel,
      event,
      data: value,
      queuedAt: this.timers.now(),
    });
  }

  /**
   * The checks after the names, for a new publish and a message restored from storage alike:
   * the channel's schema (its output is what is sent), then JSON and size. Returns the data to
   * send: a promise of it when the channel has a schema (schemas may be async), else the data
   * itself, so a publish without a schema is queued (and stored) before `publish()` returns.
   */
  #prepare(channel: string, event: string, data: unknown): unknown {
    const schema = this.#schemas.get(channel)?.schemas;
    if (!schema) return this.#sendable(channel, event, data);
    const eventSchema = schema[event];
    if (!eventSchema) {
      throw new ValidationError(channel, event, 'outgoing', [
        {
          path: '',
          message:
            process.env.NODE_ENV !== 'production'
              ? `"${event}" is not an event of this channel (known: ${Object.keys(schema).join(', ') || 'none'})`
              : 'unknown event',
        },
      ]);
    }
    return Promise.resolve(runSchema(eventSchema, data)).then((outcome) => {
      if (!outcome.ok) throw new ValidationError(channel, event, 'outgoing', outcome.issues);
      return this.#sendable(channel, event, outcome.value);
    });
  }

  #sendable(channel: string, event: string, data: unknown): unknown {
    const { provider, capabilities } = this.transport;
    // `undefined` does not survive JSON or Socket.IO; send "no data" as null on every provider.
    const value = data === undefined ? null : data;
    const size = jsonSize(channel, event, value);
    if (size > capabilities.maxMessageBytes) {
      throw new MessageTooLargeError(provider, size, capabilities.maxMessageBytes);
    }
    return value;
  }

  /**
   * An entry read back from queue storage, checked like a publish: an id, the channel name, an
   * event name that is not reserved, then `#prepare`. Rejects with what is reported on `error`.
   */
  async #checkStored(stored: unknown): Promise<QueuedMessage> {
    const { id, channel, event, data } = (stored ?? {}) as Record<string, unknown>;
    try {
      if (!isMessageId(id)) {
        throw new RealtimeError(
          ErrorCodes.ValidationFailed,
          process.env.NODE_ENV !== 'production' ? 'it has no valid "id"' : 'id',
        );
      }
      validateChannelName(channel);
      checkEventName(channel, event as string);
      return {
        ...(stored as QueuedMessage),
        data: await this.#prepare(channel, event as string, data),
      };
    } catch (error) {
      const cause = error as RealtimeError;
      throw new RealtimeError(
        cause.code,
        process.env.NODE_ENV !== 'production'
          ? `Restored message (id "${id}", event "${event}", channel "${channel}") dropped unsent from the offline queue and its storage: ${cause.message}`
          : productionMessage(cause.code, 'restored', id, cause.message),
        { cause },
      );
    }
  }

  publishEphemeral(channel: string, event: string, data: unknown): void {
    if (!this.isConnected()) return;
    this.transport
      .publish({ channel, id: createMessageId(), event, data, ephemeral: true })
      .catch(() => {});
  }

  reportError(error: RealtimeError): void {
    this.#events.emit('error', error);
  }

  reportHandlerError(channel: string, event: string, error: unknown): void {
    if (this.#events.listenerCount('error') === 0) {
      // Nobody listens: surface it like any uncaught app error, outside the delivery loop.
      reportAsync(error);
      return;
    }
    this.reportError(
      new RealtimeError(
        ErrorCodes.HandlerFailed,
        process.env.NODE_ENV !== 'production'
          ? `A handler for "${event}" on "${channel}" threw: ${error instanceof Error ? error.message : String(error)}. Other handlers still ran; fix the handler.`
          : productionMessage(ErrorCodes.HandlerFailed, channel, event),
        { cause: error },
      ),
    );
  }

  // Connection lifecycle ------------------------------------------------------------------------

  async #onConnected(): Promise<void> {
    const session = ++this.#session;
    await this.#queue.load();
    if (session !== this.#session) return;
    // Channels activated since the link came up are attaching already; attach the rest once.
    const live = [...this.#live.values()].filter(
      (channel) => channel.refCount > 0 && !this.#attachedOnThisLink.has(channel),
    );
    for (const channel of live) this.#attachedOnThisLink.add(channel);
    await Promise.all(live.map((channel) => channel.attach()));
    await this.#queue.checkRestored();
    // Flush after re-attaching so providers that need a subscription to publish (Pusher) accept it.
    if (session === this.#session && this.isConnected()) this.#queue.open();
  }

  /** The link is gone (`attaching`: a reconnect follows) or the app closed it (`detached`). */
  #suspend(state: 'attaching' | 'detached'): void {
    this.#session++;
    this.#attachedOnThisLink.clear();
    this.#queue.pause();
    for (const channel of this.#live.values()) channel.suspend(state);
  }

  // Delivery ------------------------------------------------------------------------------------

  #receive(message: TransportMessage): void {
    const channel = this.#live.get(message.channel);
    if (!channel || channel.refCount === 0) return;
    if (message.event === TYPING_EVENT || message.event === PRESENCE_UPDATE_EVENT) {
      channel.receiveSignal(message);
      return;
    }
    if (
      (!message.ephemeral && !this.#dedupe.add(`${message.channel}\u0000${message.id}`)) ||
      (!this.#echo && this.#ownIds.has(message.id))
    ) {
      channel.noteSeq(message.seq);
      return;
    }
    const schemas = this.#schemas.get(message.channel)?.schemas;
    const checked = schemas
      ? this.#validateIncoming(schemas, message)
      : { ok: true as const, value: message.data };
    this.inOrder(message.channel, checked, (outcome) => {
      if (outcome.ok) channel.dispatch(toEnvelope(message, outcome.value, this.timers));
      else {
        channel.noteSeq(message.seq);
        channel.invalid(outcome.error);
      }
    });
  }

  inOrder<TValue>(
    channel: string,
    checked: TValue | Promise<TValue>,
    apply: (value: TValue) => void,
  ): void {
    const pending = this.#inboundChains.get(channel);
    if (!pending && !(checked instanceof Promise)) {
      apply(checked);
      return;
    }
    // An async schema: keep this channel's order by chaining every later arrival behind it.
    const chain = (pending ?? Promise.resolve()).then(async () => apply(await checked));
    this.#inboundChains.set(channel, chain);
    void chain.then(() => {
      if (this.#inboundChains.get(channel) === chain) this.#inboundChains.delete(channel);
    });
  }

  #validateIncoming(
    schemas: EventSchemas,
    message: TransportMessage,
  ):
    | { ok: true; value: unknown }
    | { ok: false; error: ValidationError }
    | Promise<{ ok: true; value: unknown } | { ok: false; error: ValidationError }> {
    const schema = schemas[message.event];
    if (!schema) {
      return {
        ok: false,
        error: new ValidationError(message.channel, message.event, 'incoming', [
          {
            path: '',
            message:
              process.env.NODE_ENV !== 'production'
                ? `"${message.event}" is not an event of this channel`
                : 'unknown event',
          },
        ]),
      };
    }
    const toResult = (outcome: Awaited<ReturnType<typeof runSchema>>) =>
      outcome.ok
        ? ({ ok: true, value: outcome.value } as const)
        : ({
            ok: false,
            error: new ValidationError(message.channel, message.event, 'incoming', outcome.issues),
          } as const);
    const outcome = runSchema(schema, message.data);
    return outcome instanceof Promise ? outcome.then(toResult) : toResult(outcome);
  }

  #register(definition: ChannelDefinition): void {
    const existing = this.#schemas.get(definition.name);
    if (!existing) {
      this.#schemas.set(definition.name, definition);
      return;
    }
    // Another definition object with the very same schemas (e.g. made per render from
    // module-level schemas) validates the same: accepted.
    const keys = Object.keys(existing.schemas);
    if (
      existing.presence !== definition.presence ||
      keys.length !== Object.keys(definition.schemas).length ||
      keys.some((key) => existing.schemas[key] !== definition.schemas[key])
    ) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `Two different defineChannel() definitions use the channel name "${definition.name}". ` +
              'Define each channel once (at module level, or once per name for dynamic channels) and import that definition everywhere.'
          : productionMessage(ErrorCodes.InvalidConfig, 'defineChannel', definition.name),
      );
    }
  }
}

function checkOptions(options: RealtimeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime(options) needs an options object with at least { transport }.'
        : productionMessage(ErrorCodes.InvalidConfig, 'options'),
    );
  }
  const transport = options.transport as Partial<Transport> | undefined;
  if (
    !transport ||
    typeof transport.connect !== 'function' ||
    typeof transport.subscribe !== 'function'
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "transport" is missing or not a transport. Pass one, e.g. transport: socketioTransport({ url }) or memoryTransport({ hub }).'
        : productionMessage(ErrorCodes.InvalidConfig, 'transport'),
    );
  }
  if (options.auth !== undefined && typeof options.auth !== 'function') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "auth" must be a function returning a token (or a promise of one).'
        : productionMessage(ErrorCodes.InvalidConfig, 'auth'),
    );
  }
  if (
    options.clientId !== undefined &&
    (typeof options.clientId !== 'string' || options.clientId.length === 0)
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "clientId" must be a non-empty string when given.'
        : productionMessage(ErrorCodes.InvalidConfig, 'clientId'),
    );
  }
  const positive: Array<[string, unknown]> = [
    ['queue.maxSize', options.queue?.maxSize],
    ['publishTimeoutMs', options.publishTimeoutMs],
    ['dedupeWindow', options.dedupeWindow],
    ['typing.timeoutMs', options.typing?.timeoutMs],
    ['typing.throttleMs', options.typing?.throttleMs],
  ];
  const grace = options.presence?.leaveGraceMs;
  if (grace !== undefined && !(typeof grace === 'number' && Number.isFinite(grace) && grace >= 0)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `createRealtime: "presence.leaveGraceMs" must be a number of milliseconds ≥ 0; got ${String(grace)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'presence.leaveGraceMs', String(grace)),
    );
  }
  for (const [field, value] of positive) {
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value > 0)
    ) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `createRealtime: "${field}" must be a positive number; got ${String(value)}.`
          : productionMessage(ErrorCodes.InvalidConfig, field, String(value)),
      );
    }
  }
}

/** The transport's publish window: a positive integer, 100 unless it declares otherwise. */
function publishWindow(declared: number | undefined): number {
  return typeof declared === 'number' && Number.isFinite(declared) && declared >= 1
    ? Math.floor(declared)
    : 100;
}

function checkEventName(channel: string, event: string): void {
  if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
    throw new ValidationError(channel, String(event), 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? 'the event name must be a non-empty string of at most 200 characters'
            : 'event name',
      },
    ]);
  }
  if (event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? `event names starting with "${RESERVED_EVENT_PREFIX}" are reserved for Patchbay's own signals`
            : 'reserved event name',
      },
    ]);
  }
}

function isMessageId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 200;
}

const encoder = new TextEncoder();

/** The payload's UTF-8 size as sent. */
function jsonSize(channel: string, event: string, data: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify({ event, data });
  } catch (error) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? `the payload is not JSON-serializable (${(error as Error).message})`
            : 'not JSON',
      },
    ]);
  }
  return encoder.encode(json ?? '').length;
}
