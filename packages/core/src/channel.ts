import { type ChannelPresence, ChannelPresenceImpl } from './channelPresence.js';
import { type ChannelTyping, ChannelTypingImpl } from './channelTyping.js';
import type { EventMap } from './defineChannel.js';
import { isRealtimeError, NotSupportedError, productionMessage, RealtimeError } from './errors.js';
import type { ChannelHost } from './internal/channelHost.js';
import { Emitter } from './internal/emitter.js';
import {
  type MessageOf,
  type PublishOptions,
  type RealtimeMessage,
  TYPING_EVENT,
} from './message.js';
import { type ReadableStore, Store, settleOn } from './store.js';
import type { Timers } from './timers.js';
import type {
  TransportHistoryOptions,
  TransportMessage,
  TransportPresenceEvent,
} from './transport/types.js';

export type ChannelState = 'detached' | 'attaching' | 'attached' | 'failed';

export interface ChannelSnapshot {
  state: ChannelState;
  /**
   * The channel's latest problem, for a UI to show: why attaching failed (`state: 'failed'`, e.g.
   * `AuthError` for an unauthorized channel), or — with `state: 'attached'` — a `ValidationError`
   * for an inbound message or presence data the channel dropped because it failed its schema.
   * Kept while re-attaching; cleared by the next successful attach. Every such error is also
   * reported on `client.on('error')`.
   */
  error?: RealtimeError;
  /**
   * While the provider refuses to attach with a retryable error and the channel retries with
   * backoff: how many attempts were refused in a row (`error` is the latest refusal). A
   * channel refused `attach.maxAttempts` times goes to `failed`.
   */
  attempt?: number;
}

/** Emitted when a channel could not replay what it missed while the link was down. */
export interface DiscontinuityEvent {
  channel: string;
  /** `provider-cannot-replay` (e.g. Pusher) or `history-unavailable` (the gap outlived history). */
  reason: string;
}

export interface ChannelEvents {
  discontinuity: DiscontinuityEvent;
}

type Handler = (message: RealtimeMessage) => void;
const ALL = Symbol('all events');

/**
 * A named channel. Handles are cheap and shared: `client.channel(name)` returns the same object
 * each time. The provider subscription is reference-counted — the first handler (or presence /
 * typing watcher) attaches it, the last one to leave detaches it — and after every reconnect a
 * live channel re-attaches, recovers what it missed (or emits `discontinuity`), and re-enters
 * presence, with no app code.
 */
export class Channel<
  TPublish extends EventMap = EventMap,
  TReceive extends EventMap = EventMap,
  TPresence = unknown,
  TPresenceInput = TPresence,
> {
  readonly name: string;
  /**
   * Members carry `TPresence` (a presence schema's output); `enter`, `update` and `hold` take
   * `TPresenceInput` (its input).
   */
  readonly presence: ChannelPresence<TPresence, TPresenceInput>;
  readonly typing: ChannelTyping;
  readonly #host: ChannelHost;
  readonly #presence: ChannelPresenceImpl<TPresence, TPresenceInput>;
  readonly #typing: ChannelTypingImpl;
  readonly #state = new Store<ChannelSnapshot>({ state: 'detached' });
  /**
   * Replaced, never mutated, on subscribe and unsubscribe: a delivery iterates the list it read,
   * so handlers added or removed by a handler take effect from the next message, without a copy
   * per message.
   */
  readonly #handlers = new Map<string | typeof ALL, readonly Handler[]>();
  readonly #events = new Emitter<ChannelEvents>();
  #refs = 0;
  /** The client treats this channel as live (activated and not yet deactivated). */
  #active = false;
  #attachGeneration = 0;
  #everAttached = false;
  #lastSeq: number | undefined;
  #retryTimer: unknown;
  /** Attach attempts refused in a row on this link. */
  #refusals = 0;

  /** @internal Created by the client; use `client.channel(name)`. */
  constructor(host: ChannelHost, name: string) {
    this.#host = host;
    this.name = name;
    const hold = () => this.hold();
    this.#presence = new ChannelPresenceImpl(
      host,
      name,
      {
        hold,
        isAttached: () => this.#state.getSnapshot().state === 'attached',
        whenAttached: () => this.ready(),
        typingInUse: () => this.#typing.inUse,
        invalid: (error) => this.invalid(error),
      },
      (clientId) => this.#typing.remove(clientId),
    );
    this.presence = this.#presence;
    this.#typing = new ChannelTypingImpl(host, name, hold, () => this.#presence.updateWatch());
    this.typing = this.#typing;
  }

  /** `detached → attaching → attached`, or `failed` with the reason. */
  get state(): ReadableStore<ChannelSnapshot> {
    return this.#state;
  }

  /** Handle one event. Returns the function that removes this handler. */
  subscribe<TEvent extends keyof TReceive & string>(
    event: TEvent,
    handler: (message: RealtimeMessage<TEvent, TReceive[TEvent]>) => void,
  ): () => void;
  /** Handle every event on the channel. */
  subscribe(handler: (message: MessageOf<TReceive>) => void): () => void;
  subscribe(
    eventOrHandler: string | ((message: never) => void),
    maybeHandler?: (message: never) => void,
  ): () => void {
    const key = typeof eventOrHandler === 'string' ? eventOrHandler : ALL;
    const handler = (typeof eventOrHandler === 'string' ? maybeHandler : eventOrHandler) as
      | Handler
      | undefined;
    if (typeof handler !== 'function') {
      throw new TypeError(
        process.env.NODE_ENV !== 'production'
          ? `channel("${this.name}").subscribe needs a handler function: subscribe("event", (message) => …) or subscribe((message) => …).`
          : productionMessage('subscribe', this.name),
      );
    }
    const handlers = this.#handlers;
    // Wrap so the same function subscribed twice is two subscriptions with independent removal.
    const entry: Handler = (message) => handler(message);
    handlers.set(key, [...(handlers.get(key) ?? []), entry]);
    const release = this.hold();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      handlers.set(
        key,
        (handlers.get(key) as Handler[]).filter((other) => other !== entry),
      );
      release();
    };
  }

  /**
   * Publish an event. Resolves when the provider acknowledged it (see `capabilities.publishAck`);
   * while offline it waits in the queue and resolves after the flush. Rejects with
   * `ValidationError`, `QueueOverflowError`, `PublishTimeoutError`, `PublishRejectedError`,
   * `MessageTooLargeError` or `AuthError`.
   */
  publish<TEvent extends keyof TPublish & string>(
    event: TEvent,
    data: TPublish[TEvent],
    options?: PublishOptions,
  ): Promise<void> {
    return this.#host.publish(this.name, event, data, options?.id);
  }

  on<TKey extends keyof ChannelEvents>(
    event: TKey,
    listener: (payload: ChannelEvents[TKey]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Keep the channel attached without a message handler (e.g. a component that only publishes).
   * Returns the release function; the provider subscription ends when every hold is released.
   * The last release takes effect at the end of the current task, so a release followed by a new
   * hold in the same task (React StrictMode's remount, a route transition) keeps the one
   * subscription instead of unsubscribing and subscribing again.
   */
  hold(): () => void {
    this.#refs++;
    if (!this.#active) {
      this.#active = true;
      this.#host.activate(this);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#refs--;
      if (this.#refs === 0) {
        queueMicrotask(() => {
          if (this.#refs === 0 && this.#active) {
            this.#active = false;
            this.#host.deactivate(this);
          }
        });
      }
    };
  }

  /** Resolves once attached; rejects if attaching failed (e.g. `AuthError`) or nothing holds the channel. */
  ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      settleOn(this.#state, () => {
        const { state, error } = this.#state.getSnapshot();
        if (state === 'attached') resolve();
        else if (state === 'failed') reject(error);
        else if (state === 'detached' && this.#refs === 0) {
          reject(
            new TypeError(
              process.env.NODE_ENV !== 'production'
                ? `channel("${this.name}") is not subscribed; subscribe or hold() it first.`
                : productionMessage('ready', this.name),
            ),
          );
        } else return false;
        return true;
      });
    });
  }

  /** Past messages, oldest first, where the provider keeps history. */
  async history(options: TransportHistoryOptions = {}): Promise<RealtimeMessage[]> {
    const { transport } = this.#host;
    if (!transport.capabilities.history || !transport.history) {
      throw new NotSupportedError(
        transport.provider,
        'history',
        process.env.NODE_ENV !== 'production'
          ? 'Load past messages from your own API (your database is the source of truth), or use a provider with history (socketio, sse, ably).'
          : '',
      );
    }
    const messages = await transport.history(this.name, options);
    return messages.map((message) => toEnvelope(message, message.data, this.#host.timers));
  }

  /** @internal How many holds keep this channel live. */
  get refCount(): number {
    return this.#refs;
  }

  /** @internal Attach now (first time, or again after a reconnect). */
  async attach(): Promise<void> {
    const generation = this.#cancel();
    const { transport } = this.#host;
    const resuming = this.#everAttached;
    const resumeFrom = resuming ? this.#lastSeq : undefined;
    // An error from before this attach is cleared when it succeeds; one raised during it (a
    // presence list that failed the schema) stays.
    const stale = this.#state.getSnapshot().error;
    this.#state.set({ ...this.#state.getSnapshot(), state: 'attaching' });
    try {
      const result = await transport.subscribe(this.name, {
        ...(resumeFrom !== undefined ? { resumeFrom } : {}),
        presence: this.#presence.watchOnAttach(),
      });
      if (generation !== this.#attachGeneration) return;
      const recovered =
        resuming && transport.capabilities.recovery && resumeFrom !== undefined && result.recovered;
      if (!recovered && result.seq !== undefined) this.#lastSeq = result.seq;
      else if (result.seq !== undefined) this.#lastSeq = Math.max(this.#lastSeq ?? 0, result.seq);
      this.#everAttached = true;
      this.#refusals = 0;
      this.#presence.attached();
      const { error } = this.#state.getSnapshot();
      this.#state.set(
        error && error !== stale ? { state: 'attached', error } : { state: 'attached' },
      );
      // Presence or typing use that changed while attaching reaches the transport now.
      this.#presence.updateWatch();
      if (resuming && !recovered) {
        this.#events.emit('discontinuity', {
          channel: this.name,
          reason: transport.capabilities.recovery
            ? 'history-unavailable'
            : 'provider-cannot-replay',
        });
      }
    } catch (error) {
      if (generation !== this.#attachGeneration) return;
      const failure = error as RealtimeError;
      // A retryable refusal while the link stays up (the server's authorize hook or database
      // failing, a rate limit) is shown and retried with backoff, never silently or in a loop;
      // after `attach.maxAttempts` refusals in a row the channel fails. (A link going down
      // suspends the channel first: its reconnect re-attaches and starts the count again.)
      const refusals = ++this.#refusals;
      if (
        isRealtimeError(failure) &&
        failure.retryable &&
        refusals < this.#host.attachMaxAttempts
      ) {
        this.#state.set({ state: 'attaching', error: failure, attempt: refusals });
        this.#host.reportError(failure);
        this.#retryTimer = this.#host.timers.setTimeout(() => {
          this.#retryTimer = undefined;
          if (this.#refs > 0 && this.#host.isConnected()) void this.attach();
        }, this.#host.attachRetryDelay(refusals));
        return;
      }
      this.#refusals = 0;
      const final =
        isRealtimeError(failure) && failure.retryable
          ? new RealtimeError(
              failure.code,
              process.env.NODE_ENV !== 'production'
                ? `Could not attach "${this.name}": the provider refused it ${refusals} times in a row (last: ${failure.message}). Find why the server refuses it (its authorize hook, its database, a rate limit), or raise attach.maxAttempts; the channel attaches again on the next reconnect or when it is held again after every hold was released.`
                : productionMessage(failure.code, this.name, refusals),
              { cause: failure },
            )
          : failure;
      this.#state.set({ state: 'failed', error: final });
      this.#host.reportError(final);
    }
  }

  /**
   * @internal The link is down (`attaching`: it will re-attach when the client reconnects) or the
   * app closed the client (`detached`). Holds and the recovery position are kept either way.
   */
  suspend(state: 'attaching' | 'detached' = 'attaching'): void {
    this.#cancel();
    this.#refusals = 0;
    const { state: current, attempt: _attempt, ...rest } = this.#state.getSnapshot();
    if (this.#refs > 0 && current !== 'failed') this.#state.set({ ...rest, state });
  }

  /** @internal The last hold went: forget everything tied to the provider subscription. */
  detach(): void {
    this.#cancel();
    this.#refusals = 0;
    this.#everAttached = false;
    this.#lastSeq = undefined;
    this.#state.set({ state: 'detached' });
    this.#presence.reset();
    this.#typing.reset();
  }

  /**
   * @internal An inbound message or presence data failed the schema and was dropped: shown on
   * the state (which stays as it is) and reported on the client.
   */
  invalid(error: RealtimeError): void {
    this.#state.set({ ...this.#state.getSnapshot(), error });
    this.#host.reportError(error);
  }

  /** @internal Deliver a validated message to handlers. */
  dispatch(message: RealtimeMessage): void {
    this.noteSeq(message.seq);
    this.#deliver(message.event, message);
    this.#deliver(ALL, message);
  }

  #deliver(key: string | typeof ALL, message: RealtimeMessage): void {
    const handlers = this.#handlers.get(key);
    if (!handlers) return;
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (error) {
        // A throwing handler must not stop delivery to the others or break the client.
        this.#host.reportHandlerError(this.name, message.event, error);
      }
    }
  }

  /** @internal A presence event from the transport. */
  receivePresence(event: TransportPresenceEvent): void {
    this.#presence.receive(event);
  }

  /** @internal One of Patchbay's own signals (typing, an emulated presence update) arrived. */
  receiveSignal(message: TransportMessage): void {
    if (message.event === TYPING_EVENT) this.#typing.receive(message.clientId, message.data);
    else this.#presence.receiveEmulatedUpdate(message.clientId, message.data);
  }

  /** @internal Track the sequence of a message that was filtered (echo) but still seen. */
  noteSeq(seq: number | undefined): void {
    if (seq !== undefined && (this.#lastSeq === undefined || seq > this.#lastSeq))
      this.#lastSeq = seq;
  }

  /**
   * @internal The transport signalled a gap: positions restart with the messages that follow
   * (a hub's new epoch), so the next resume starts from those.
   */
  emitDiscontinuity(reason: string): void {
    this.#lastSeq = undefined;
    this.#events.emit('discontinuity', { channel: this.name, reason });
  }

  /** Ignore what the current attach answers from now on, and cancel its retry. */
  #cancel(): number {
    if (this.#retryTimer !== undefined) this.#host.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    return ++this.#attachGeneration;
  }
}

export function toEnvelope(
  message: {
    id: string;
    channel: string;
    event: string;
    data: unknown;
    clientId?: string;
    connectionId?: string;
    timestamp?: number;
    seq?: number;
  },
  data: unknown,
  timers: Timers,
): RealtimeMessage {
  const envelope: RealtimeMessage = {
    id: message.id,
    channel: message.channel,
    event: message.event,
    data,
    timestamp: message.timestamp ?? timers.now(),
  };
  // Optional fields are set only when present, so the envelope has no `undefined` keys.
  if (message.clientId !== undefined) envelope.clientId = message.clientId;
  if (message.connectionId !== undefined) envelope.connectionId = message.connectionId;
  if (message.seq !== undefined) envelope.seq = message.seq;
  return envelope;
}
