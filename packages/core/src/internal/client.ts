import {
  computeBackoffDelay,
  type ResolvedReconnectOptions,
  resolveReconnectOptions,
} from '../backoff.js';
import { Channel, toEnvelope } from '../channel.js';
import { validateChannelName } from '../channelName.js';
import { ErrorCodes } from '../codes.js';
import type { ConnectionSnapshot } from '../connectionState.js';
import { browserConnectivity } from '../connectivity.js';
import type { ClientEvents, RealtimeClient, RealtimeOptions } from '../createRealtime.js';
import { DedupeWindow } from '../dedupe.js';
import { type ChannelDefinition, isChannelDefinition } from '../defineChannel.js';
import { ConfigError, NotSupportedError, productionMessage, RealtimeError } from '../errors.js';
import { PRESENCE_UPDATE_EVENT, TYPING_EVENT } from '../message.js';
import { memoryQueueStorage } from '../queueStorage.js';
import type { StandardSchemaV1 } from '../standardSchema.js';
import { type ReadableStore, settleOn } from '../store.js';
import { systemTimers, type Timers } from '../timers.js';
import type { Transport, TransportCapabilities, TransportMessage } from '../transport/types.js';
import type { ChannelHost, LiveChannel } from './channelHost.js';
import {
  type ChannelSchemas,
  checkIncoming,
  prepareOutgoing,
  registerSchemas,
} from './channelSchemas.js';
import { checkOptions, publishWindow } from './checkOptions.js';
import { ConnectionManager } from './connectionManager.js';
import { Emitter, reportAsync } from './emitter.js';
import { createMessageId } from './id.js';
import { INSPECT, type InspectHook, type InspectTap } from './inspectTap.js';
import { checkEventName, checkRestored, isMessageId } from './publishChecks.js';
import { PublishQueue, type QueueStatus } from './publishQueue.js';

/** The `RealtimeClient` behind `createRealtime`, and the host its channels call back into. */
export class Client implements RealtimeClient, ChannelHost {
  readonly transport: Transport;
  readonly timers: Timers;
  readonly typingOptions: { timeoutMs: number; throttleMs: number };
  readonly presenceLeaveGraceMs: number;
  readonly attachMaxAttempts: number;
  readonly #reconnect: ResolvedReconnectOptions;
  readonly #random: () => number;
  readonly #manager: ConnectionManager;
  readonly #queue: PublishQueue;
  /**
   * Every channel object by name, held weakly: `client.channel(name)` returns the same object as
   * long as the app holds it, and one nothing holds or subscribes to is garbage-collected (its
   * entry goes with it), so an app that visits many channels does not keep them all.
   */
  readonly #channels = new Map<string, WeakRef<Channel>>();
  readonly #collected = new FinalizationRegistry<string>((name) => {
    if (!this.#channels.get(name)?.deref()) this.#channels.delete(name);
  });
  /** The channels that are live (held: activated and not yet deactivated), held strongly. */
  readonly #live = new Map<string, Channel>();
  readonly #schemas: ChannelSchemas = new Map();
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
  #tap: InspectTap | undefined;

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
    this.attachMaxAttempts = options.attach?.maxAttempts ?? 8;
    this.#reconnect = resolveReconnectOptions(options.reconnect);
    this.#random = options.random ?? Math.random;
    const windowSize = options.dedupeWindow ?? 5_000;
    this.#dedupe = new DedupeWindow(windowSize);
    this.#ownIds = new DedupeWindow(windowSize);
    for (const definition of options.schemas ?? []) registerSchemas(this.#schemas, definition);

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
      check: (stored) =>
        checkRestored(stored, (channel, event, data) =>
          prepareOutgoing(this.#schemas, this.transport, channel, event, data),
        ),
    });

    this.#manager = new ConnectionManager({
      transport: this.transport,
      reconnect: this.#reconnect,
      timers: this.timers,
      random: this.#random,
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
      this.#manager.connect();
      settleOn(this.#manager.store, () => {
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
      registerSchemas(this.#schemas, nameOrDefinition);
      name = nameOrDefinition.name;
    } else {
      validateChannelName(nameOrDefinition);
      name = nameOrDefinition;
    }
    const existing = this.#channels.get(name)?.deref();
    if (existing) return existing;
    const channel = new Channel(this, name);
    // WeakRef and FinalizationRegistry are ES2021, below the ES2022 the packages target.
    this.#channels.set(name, new WeakRef(channel));
    this.#collected.register(channel, name);
    return channel;
  }

  on<TKey extends keyof ClientEvents>(
    event: TKey,
    listener: (payload: ClientEvents[TKey]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** @internal For `@patchbay/realtime-core/inspect` only: observe, change nothing. */
  [INSPECT](tap: InspectTap | undefined): InspectHook {
    this.#tap = tap;
    return { live: this.#live, drop: (error) => this.#manager.drop(error) };
  }

  // ChannelHost ---------------------------------------------------------------------------------

  attachRetryDelay(refusals: number): number {
    return computeBackoffDelay(refusals, this.#reconnect, this.#random);
  }

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
    const prepared = prepareOutgoing(this.#schemas, this.transport, channel, event, data);
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

  publishEphemeral(channel: string, event: string, data: unknown): void {
    if (!this.isConnected()) return;
    this.transport
      .publish({ channel, id: createMessageId(), event, data, ephemeral: true })
      .catch(() => {});
  }

  reportError(error: RealtimeError): void {
    this.#tap?.error(error);
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
    this.#tap?.message(message);
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
    this.inOrder(message.channel, checkIncoming(this.#schemas, message), (outcome) => {
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
}
