import {
  isRealtimeError,
  NotSupportedError,
  type RealtimeError,
  ValidationError,
} from './errors.js';
import type { ChannelHost } from './internal/channelHost.js';
import { Emitter } from './internal/emitter.js';
import { HeldLeaves } from './internal/heldLeaves.js';
import { runSchema, type ValidationOutcome } from './internal/validate.js';
import { PRESENCE_UPDATE_EVENT } from './message.js';
import { type PresenceEvent, type PresenceMember, PresenceSet, sameData } from './presenceSet.js';
import { type ReadableStore, Store } from './store.js';
import type { TransportPresenceEvent, TransportPresenceMember } from './transport/types.js';

/**
 * One holder's claim on this client's membership of a channel (a component, a feature). The
 * client is a member while at least one hold exists; see `ChannelPresence.hold`.
 */
export interface PresenceHold<TData = unknown> {
  /** Set the member's data: the data is the latest set by any holder. */
  update(data: TData): Promise<void>;
  /** Give up this hold (idempotent). The last release leaves at the end of the current task. */
  release(): void;
  /** Resolves once entered; rejects with the enter error (e.g. `AuthError`, `ValidationError`). */
  readonly ready: Promise<void>;
}

/**
 * Presence on one channel: who is here (a store of members keyed by clientId) and this client's
 * own membership. Membership is reference-counted: the client is present while at least one
 * hold exists (`hold()`, or the one imperative hold of `enter()`), and its data is the latest
 * set by any holder. It is remembered, so after a reconnect the client re-enters by itself with
 * that data. Holding, watching the members store or listening to events keeps the channel
 * attached. `TData` is what members carry (a presence schema's output), `TInput` what this client
 * sets (its input).
 */
export interface ChannelPresence<TData = unknown, TInput = TData>
  extends ReadableStore<readonly PresenceMember<TData>[]> {
  /** Be present (one imperative hold, shared by every `enter` call) with this data. */
  enter(data?: TInput): Promise<void>;
  /** Change this client's data. Members see an `update`, never a leave and enter. Enters if not present. */
  update(data: TInput): Promise<void>;
  /** Release the imperative hold of `enter()`; a `hold()` still held keeps the client present. */
  leave(): Promise<void>;
  /**
   * Hold this client's membership: entered while at least one hold exists. `data`, when given,
   * becomes the member's data. The last release leaves at the end of the current task, so a
   * release followed by a new hold in the same task (StrictMode's remount, a hand-off between
   * components) neither leaves nor re-enters.
   */
  hold(data?: TInput): PresenceHold<TInput>;
  /** Member-level events: `enter | update | leave | sync`. */
  onEvent(listener: (event: PresenceEvent<TData>) => void): () => void;
}

/** What presence needs from its channel. */
export interface PresenceChannelLink {
  hold(): () => void;
  isAttached(): boolean;
  whenAttached(): Promise<void>;
  /** Typing signals travel with presence where the provider separates them (Pusher). */
  typingInUse(): boolean;
  /** Inbound presence data failed the schema: shown on the channel's state and reported. */
  invalid(error: ValidationError): void;
}

export class ChannelPresenceImpl<TData = unknown, TInput = TData>
  implements ChannelPresence<TData, TInput>
{
  readonly #host: ChannelHost;
  readonly #channel: string;
  readonly #link: PresenceChannelLink;
  readonly #set = new PresenceSet();
  readonly #store = new Store<readonly PresenceMember<TData>[]>(Object.freeze([]));
  readonly #events = new Emitter<{ event: PresenceEvent<TData> }>();
  /** Entered (or entering) with this data; set once a holder gave valid data. */
  #intent: { data: unknown; emulatedUpdate: boolean } | undefined;
  /** How many holds exist; the channel is held (`#release`) while any does. */
  #holds = 0;
  /** The imperative hold of `enter()` / `update()`, released by `leave()`. */
  #own: PresenceHold<TInput | undefined> | undefined;
  #release: (() => void) | undefined;
  #entering: Promise<void> | undefined;
  /** An `enter()`/`update()` call is awaiting the attach-time enter and will see its error. */
  #callerWaiting = false;
  #onLeft: (clientId: string) => void;
  /** Whether the transport was last told that presence is used here (see `watchPresence`). */
  #watching = false;
  /** Leaves that may be a blip, where the provider has no grace of its own. */
  readonly #held: HeldLeaves;

  constructor(
    host: ChannelHost,
    channel: string,
    link: PresenceChannelLink,
    onLeft: (clientId: string) => void,
  ) {
    this.#host = host;
    this.#channel = channel;
    this.#link = link;
    this.#onLeft = onLeft;
    this.#held = new HeldLeaves(host.timers, this.#set, (events) => this.#emit(events));
  }

  getSnapshot = (): readonly PresenceMember<TData>[] => this.#store.getSnapshot();

  subscribe = (listener: () => void): (() => void) => this.#watch(this.#store.subscribe(listener));

  onEvent(listener: (event: PresenceEvent<TData>) => void): () => void {
    return this.#watch(this.#events.on('event', listener));
  }

  /** A watcher was added (`off` removes it): hold the channel while it watches. */
  #watch(off: () => void): () => void {
    // Listening comes first, then the hold: the attach that the hold may start asks for presence.
    const release = this.#link.hold();
    this.updateWatch();
    return () => {
      off();
      this.updateWatch();
      release();
    };
  }

  /** Presence is used here: entered, members or events watched, or typing in use. */
  get #wantsPresence(): boolean {
    return (
      this.#release !== undefined ||
      this.#store.listenerCount > 0 ||
      this.#events.listenerCount('event') > 0 ||
      this.#link.typingInUse()
    );
  }

  /** @internal The channel is attaching and tells the transport whether presence is used. */
  watchOnAttach(): boolean {
    this.#watching = this.#wantsPresence;
    return this.#watching;
  }

  /** @internal Tell the transport when presence use starts or ends on an attached channel. */
  updateWatch(): void {
    const wants = this.#wantsPresence;
    const { transport } = this.#host;
    if (wants === this.#watching || !transport.watchPresence) return;
    if (!this.#live()) return; // the next attach tells it
    this.#watching = wants;
    transport.watchPresence(this.#channel, wants).catch((error: RealtimeError) => {
      if (this.#watching === wants) this.#host.reportError(error);
    });
  }

  hold(data?: TInput): PresenceHold<TInput> {
    this.#holds++;
    this.#release ??= this.#link.hold();
    this.updateWatch();
    let released = false;
    const isReleased = () => released;
    const ready = this.#setData(data, true, isReleased);
    ready.catch(() => {}); // a holder may never read `ready`
    return {
      ready,
      update: (next) => (released ? Promise.resolve() : this.#setData(next, false, isReleased)),
      release: () => {
        if (released) return;
        released = true;
        if (--this.#holds === 0) {
          queueMicrotask(() => this.#leave().catch((error) => this.#host.reportError(error)));
        }
      },
    };
  }

  enter(data?: TInput): Promise<void> {
    if (this.#own) return this.#own.update(data);
    this.#own = this.hold(data);
    return this.#own.ready;
  }

  update(data: TInput): Promise<void> {
    return this.#holds === 0 ? this.enter(data) : this.#setData(data, false, () => false);
  }

  leave(): Promise<void> {
    const own = this.#own;
    this.#own = undefined;
    if (!own) return Promise.resolve();
    own.release();
    // The last hold: leave now rather than at the end of the task, so `await leave()` means gone.
    return this.#leave();
  }

  /** Nothing holds presence any more: leave and release the channel. */
  async #leave(): Promise<void> {
    if (this.#holds > 0 || !this.#release) return;
    const entered = this.#intent !== undefined;
    this.#intent = undefined;
    const release = this.#release;
    this.#release = undefined;
    try {
      if (entered && this.#live()) await this.#host.transport.presenceLeave(this.#channel);
    } finally {
      this.updateWatch();
      release();
    }
  }

  /**
   * A holder sets the data (`joining`: a new hold, which without data joins with the current
   * data). Validated first; the first valid data enters, later data updates.
   */
  async #setData(data: unknown, joining: boolean, released: () => boolean): Promise<void> {
    const { transport } = this.#host;
    if (!transport.capabilities.presence) {
      throw new NotSupportedError(
        transport.provider,
        'presence',
        process.env.NODE_ENV !== 'production'
          ? 'Pick a provider with presence (socketio, sse, pusher, ably), or track members in your own channel events.'
          : '',
      );
    }
    const keep = joining && data === undefined && this.#intent !== undefined;
    const schema = keep ? undefined : this.#host.presenceSchema(this.#channel);
    let value = data ?? null;
    if (schema) {
      // Awaited only when the schema is async, so a sync schema sets the data in this task.
      let outcome = runSchema(schema, data);
      if (outcome instanceof Promise) outcome = await outcome;
      if (!outcome.ok) {
        throw new ValidationError(this.#channel, 'presence', 'outgoing', outcome.issues, {});
      }
      value = outcome.value ?? null;
    }
    if (released() || this.#holds === 0) return;
    const intent = this.#intent;
    if (!intent) {
      this.#intent = { data: value, emulatedUpdate: false };
      this.#release ??= this.#link.hold();
      this.updateWatch();
      // Not live: the next attach enters.
      if (this.#live()) this.#entering = this.#sendEnter();
    } else if (!keep && !sameData(intent.data, value)) {
      intent.data = value;
      if (this.#live()) {
        if (transport.capabilities.presenceUpdate) {
          return transport.presenceUpdate(this.#channel, value);
        }
        // Emulated update: a signal on the channel that every client folds into its member set.
        intent.emulatedUpdate = true;
        this.#signal({ data: value });
        const own = this.#host.ownClientId();
        if (own) this.#emit(this.#set.updateMember(own, value));
        return;
      }
    }
    return this.#live() ? this.#entering : this.#awaitAttachEnter();
  }

  #live(): boolean {
    return this.#link.isAttached() && this.#host.isConnected();
  }

  /** @internal The channel attached (first time or after a reconnect): enter again if we were in. */
  attached(): void {
    if (!this.#intent) return;
    const entering = this.#sendEnter();
    this.#entering = entering;
    // With nobody awaiting (a re-enter after reconnect), the client's error event is the only report.
    entering.catch((error: RealtimeError) => {
      if (!this.#callerWaiting) this.#host.reportError(error);
    });
  }

  async #awaitAttachEnter(): Promise<void> {
    this.#callerWaiting = true;
    try {
      await this.#link.whenAttached();
      await this.#entering;
    } finally {
      this.#callerWaiting = false;
    }
  }

  /** @internal A provider event; member data that fails the presence schema is kept out. */
  receive(event: TransportPresenceEvent): void {
    const members = event.type === 'sync' ? event.members : [event.member];
    this.#host.inOrder(
      this.#channel,
      event.type === 'leave' ? members : this.#validate(members),
      (checked) => {
        if (event.type !== 'sync') {
          if (checked[0]) this.#receiveValid({ ...event, member: checked[0] } as typeof event);
          return;
        }
        // An invalid member in a list keeps the valid data it had, or stays out.
        const known = this.#set.connections();
        const valid = event.members.flatMap(
          (member, index) =>
            checked[index] ?? known.filter((other) => other.connectionId === member.connectionId),
        );
        this.#receiveValid({ type: 'sync', members: valid });
      },
    );
  }

  #receiveValid(event: TransportPresenceEvent): void {
    const { capabilities } = this.#host.transport;
    this.#held.receive(
      event,
      capabilities.presenceGrace ? 0 : this.#host.presenceLeaveGraceMs,
      !capabilities.presenceUpdate,
    );
    // Emulated updates: a provider snapshot holds enter-time data, so on every sync ask the
    // members to resend their latest (members that never updated stay silent).
    if (event.type === 'sync' && event.members.length > 0 && !capabilities.presenceUpdate) {
      this.#signal({ request: true });
    }
  }

  /** @internal An emulated update (or a request for ours) arrived. */
  receiveEmulatedUpdate(clientId: string | undefined, payload: unknown): void {
    if (!clientId) return;
    const body = (payload ?? {}) as { data?: unknown; request?: unknown };
    if (body.request === true) {
      if (this.#intent?.emulatedUpdate && clientId !== this.#host.ownClientId()) {
        this.#signal({ data: this.#intent.data });
      }
      return;
    }
    this.#host.inOrder(
      this.#channel,
      this.#validate([{ clientId, connectionId: '', data: body.data }]),
      ([member]) => member && this.#emit(this.#set.updateMember(clientId, member.data)),
    );
  }

  /**
   * Each member with its data as the schema outputs it, or `undefined` where the data fails the
   * schema (reported). Without a presence schema: the members as they are.
   */
  #validate(
    members: readonly TransportPresenceMember[],
  ): (TransportPresenceMember | undefined)[] | Promise<(TransportPresenceMember | undefined)[]> {
    const schema = this.#host.presenceSchema(this.#channel);
    if (!schema) return [...members];
    const outcomes = members.map((member) => runSchema(schema, member.data));
    const finish = (results: ValidationOutcome[]) =>
      results.map((outcome, index) => {
        const member = members[index] as TransportPresenceMember;
        if (outcome.ok) return { ...member, data: outcome.value };
        this.#link.invalid(
          new ValidationError(this.#channel, 'presence', 'incoming', outcome.issues, {
            clientId: member.clientId,
          }),
        );
        return undefined;
      });
    return outcomes.some((outcome) => outcome instanceof Promise)
      ? Promise.all(outcomes).then(finish)
      : finish(outcomes as ValidationOutcome[]);
  }

  /** @internal The channel detached: nobody is known to be here any more. */
  reset(): void {
    this.#held.clear();
    this.#emit(this.#set.clear());
  }

  async #sendEnter(): Promise<void> {
    const intent = this.#intent;
    if (!intent) return;
    try {
      await this.#host.transport.presenceEnter(this.#channel, intent.data);
    } catch (error) {
      if (isRealtimeError(error) && !error.retryable && this.#intent === intent) {
        // Refused for good (e.g. not authorized): stop re-entering on every reconnect. Holds stay
        // counted (each holder releases its own), but only new data enters again.
        this.#intent = undefined;
        this.#own?.release();
        this.#own = undefined;
        const release = this.#release;
        this.#release = undefined;
        release?.();
      }
      throw error;
    }
    if (!this.#host.transport.capabilities.presenceUpdate && intent.emulatedUpdate) {
      // Re-entered after a reconnect with emulated updates: others may hold older data.
      this.#signal({ data: intent.data });
    }
  }

  /** An emulated presence update (or a request for the others'), sent on the channel. */
  #signal(body: { data: unknown } | { request: true }): void {
    this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, body);
  }

  #emit(events: PresenceEvent[]): void {
    // A second connection of a present user changes no member but does change `connections`.
    if (this.#store.getSnapshot() !== this.#set.members) {
      this.#store.set(this.#set.members as readonly PresenceMember<TData>[]);
    }
    for (const event of events) {
      if (event.type === 'leave') this.#onLeft(event.member.clientId);
      this.#events.emit('event', event as PresenceEvent<TData>);
    }
  }
}
