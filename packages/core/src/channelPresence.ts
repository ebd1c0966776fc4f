import { isRealtimeError, NotSupportedError, type RealtimeError } from './errors.js';
import type { ChannelHost } from './internal/channelHost.js';
import { Emitter } from './internal/emitter.js';
import { PRESENCE_UPDATE_EVENT } from './message.js';
import { type PresenceEvent, type PresenceMember, PresenceSet } from './presenceSet.js';
import { type ReadableStore, Store } from './store.js';
import type { TransportPresenceEvent, TransportPresenceMember } from './transport.js';

type LeaveEvent = Extract<TransportPresenceEvent, { type: 'leave' }>;

/**
 * Presence on one channel: who is here (a store of members keyed by clientId) and this client's
 * own membership. Entering is remembered, so after a reconnect the client re-enters by itself
 * with its latest data. Watching the members store keeps the channel attached.
 */
export interface ChannelPresence<TData = unknown>
  extends ReadableStore<readonly PresenceMember<TData>[]> {
  enter(data?: TData): Promise<void>;
  /** Change this client's data. Members see an `update`, never a leave and enter. */
  update(data: TData): Promise<void>;
  leave(): Promise<void>;
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
}

export class ChannelPresenceImpl<TData = unknown> implements ChannelPresence<TData> {
  readonly #host: ChannelHost;
  readonly #channel: string;
  readonly #link: PresenceChannelLink;
  readonly #set = new PresenceSet();
  readonly #store = new Store<readonly PresenceMember<TData>[]>(Object.freeze([]));
  readonly #events = new Emitter<{ event: PresenceEvent<TData> }>();
  #intent: { data: unknown; emulatedUpdate: boolean } | undefined;
  #release: (() => void) | undefined;
  #entering: Promise<void> | undefined;
  /** An `enter()`/`update()` call is awaiting the attach-time enter and will see its error. */
  #callerWaiting = false;
  #onLeft: (clientId: string) => void;
  /** Whether the transport was last told that presence is used here (see `watchPresence`). */
  #watching = false;
  /**
   * Leaves held for the grace period by connectionId, where the provider reports a dropped link
   * at once (`presenceGrace: false`): a member whose link returns within the grace never leaves.
   */
  readonly #held = new Map<string, { event: LeaveEvent; timer: unknown }>();

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
  }

  getSnapshot = (): readonly PresenceMember<TData>[] => this.#store.getSnapshot();

  subscribe = (listener: () => void): (() => void) => {
    // Listen first, then hold: the attach that the hold may start asks for presence.
    const unsubscribe = this.#store.subscribe(listener);
    const release = this.#link.hold();
    this.updateWatch();
    return () => {
      unsubscribe();
      this.updateWatch();
      release();
    };
  };

  onEvent(listener: (event: PresenceEvent<TData>) => void): () => void {
    const off = this.#events.on('event', listener);
    const release = this.#link.hold();
    this.updateWatch();
    return () => {
      off();
      this.updateWatch();
      release();
    };
  }

  /** Presence is used here: entered, members or events watched, or typing in use. */
  get wantsPresence(): boolean {
    return (
      this.#intent !== undefined ||
      this.#store.listenerCount > 0 ||
      this.#events.listenerCount('event') > 0 ||
      this.#link.typingInUse()
    );
  }

  /** @internal The channel is attaching and tells the transport whether presence is used. */
  watchOnAttach(): boolean {
    this.#watching = this.wantsPresence;
    return this.#watching;
  }

  /** @internal Tell the transport when presence use starts or ends on an attached channel. */
  updateWatch(): void {
    const wants = this.wantsPresence;
    const { transport } = this.#host;
    if (wants === this.#watching || !transport.watchPresence) return;
    if (!this.#link.isAttached() || !this.#host.isConnected()) return; // the next attach tells it
    this.#watching = wants;
    transport.watchPresence(this.#channel, wants).catch((error: RealtimeError) => {
      if (this.#watching === wants) this.#host.reportError(error);
    });
  }

  async enter(data?: TData): Promise<void> {
    this.#requireSupport('presence');
    this.#intent = { data: data ?? null, emulatedUpdate: false };
    this.#release ??= this.#link.hold();
    this.updateWatch();
    if (this.#link.isAttached() && this.#host.isConnected()) {
      await this.#sendEnter();
      return;
    }
    await this.#awaitAttachEnter();
  }

  async update(data: TData): Promise<void> {
    this.#requireSupport('presence');
    if (!this.#intent) return this.enter(data);
    this.#intent.data = data;
    if (!this.#link.isAttached() || !this.#host.isConnected()) {
      // Not live: the next attach enters with the new data.
      await this.#awaitAttachEnter();
      return;
    }
    if (this.#host.transport.capabilities.presenceUpdate) {
      await this.#host.transport.presenceUpdate(this.#channel, data);
      return;
    }
    // Emulated update: a signal on the channel that every client folds into its member set.
    this.#intent.emulatedUpdate = true;
    this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, { data });
    const own = this.#host.ownClientId();
    if (own) this.#emit(this.#set.updateMember(own, data));
  }

  async leave(): Promise<void> {
    if (!this.#intent) return;
    this.#intent = undefined;
    const release = this.#release;
    this.#release = undefined;
    try {
      if (this.#link.isAttached() && this.#host.isConnected()) {
        await this.#host.transport.presenceLeave(this.#channel);
      }
    } finally {
      this.updateWatch();
      release?.();
    }
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

  /** @internal */
  receive(event: TransportPresenceEvent): void {
    const { capabilities } = this.#host.transport;
    const grace = capabilities.presenceGrace ? 0 : this.#host.presenceLeaveGraceMs;
    if (grace > 0 || this.#held.size > 0 || !capabilities.presenceUpdate) {
      this.#receiveHeld(event, grace, !capabilities.presenceUpdate);
    } else this.#emit(this.#set.apply(event));
    // Emulated updates: a provider snapshot holds enter-time data, so on every sync ask the
    // members to resend their latest (members that never updated stay silent).
    if (
      event.type === 'sync' &&
      event.members.length > 0 &&
      !this.#host.transport.capabilities.presenceUpdate
    ) {
      this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, { request: true });
    }
  }

  /** @internal An emulated update (or a request for ours) arrived. */
  receiveEmulatedUpdate(clientId: string | undefined, payload: unknown): void {
    if (!clientId) return;
    const body = (payload ?? {}) as { data?: unknown; request?: unknown };
    if (body.request === true) {
      if (this.#intent?.emulatedUpdate && clientId !== this.#host.ownClientId()) {
        this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, {
          data: this.#intent.data,
        });
      }
      return;
    }
    this.#emit(this.#set.updateMember(clientId, body.data));
  }

  /** @internal The channel detached: nobody is known to be here any more. */
  reset(): void {
    for (const { timer } of this.#held.values()) this.#host.timers.clearTimeout(timer);
    this.#held.clear();
    this.#emit(this.#set.clear());
  }

  /**
   * Apply a provider event, holding leaves that may be a blip (see `#held`). `keepData`: the
   * provider has no presence update, so its member lists carry enter-time data; a connection this
   * client already knows keeps the newer data it learned from emulated updates.
   */
  #receiveHeld(event: TransportPresenceEvent, grace: number, keepData: boolean): void {
    if (event.type === 'leave') {
      const { clientId, connectionId } = event.member;
      const held = this.#held.get(connectionId);
      if (event.deliberate || grace === 0) {
        if (held) this.#releaseHeld(connectionId);
      } else if (held || !this.#set.has(clientId, connectionId)) {
        return;
      } else {
        this.#hold(event, grace);
        return;
      }
      this.#emit(this.#set.apply(event));
      return;
    }
    const seen = event.type === 'sync' ? event.members : [event.member];
    const back = new Map<string, Set<string>>();
    for (const member of seen) {
      const connections = back.get(member.clientId) ?? new Set();
      connections.add(member.connectionId);
      back.set(member.clientId, connections);
    }
    // A held member is back: its old connection goes quietly (it is replaced, not left).
    const replaced: LeaveEvent[] = [];
    for (const [connectionId, { event: leave }] of [...this.#held]) {
      const connections = back.get(leave.member.clientId);
      if (!connections) continue;
      this.#releaseHeld(connectionId);
      if (!connections.has(connectionId)) replaced.push(leave);
    }
    if (event.type !== 'sync') {
      this.#emit(this.#set.apply(event));
      for (const leave of replaced) this.#emit(this.#set.apply(leave));
      return;
    }
    const known = new Map(
      this.#set.connections().map((member) => [member.connectionId, member] as const),
    );
    const members: TransportPresenceMember[] = event.members.map((member) => {
      const previous = known.get(member.connectionId);
      return keepData && previous?.clientId === member.clientId
        ? { ...member, data: previous.data }
        : member;
    });
    if (grace > 0) {
      // Missing from the list but maybe only for a blip: kept until the grace ends. A member
      // listed on another connection is here: the missing one was replaced, not lost.
      const listed = new Set(event.members.map((member) => member.connectionId));
      for (const member of known.values()) {
        if (listed.has(member.connectionId) || back.has(member.clientId)) continue;
        members.push(member);
        if (!this.#held.has(member.connectionId)) this.#hold({ type: 'leave', member }, grace);
      }
    }
    this.#emit(this.#set.apply({ type: 'sync', members }));
  }

  #hold(event: LeaveEvent, grace: number): void {
    const { connectionId } = event.member;
    const timer = this.#host.timers.setTimeout(() => {
      if (this.#held.get(connectionId)?.timer !== timer) return;
      this.#held.delete(connectionId);
      this.#emit(this.#set.apply(event));
    }, grace);
    this.#held.set(connectionId, { event, timer });
  }

  #releaseHeld(connectionId: string): void {
    const held = this.#held.get(connectionId);
    if (!held) return;
    this.#host.timers.clearTimeout(held.timer);
    this.#held.delete(connectionId);
  }

  async #sendEnter(): Promise<void> {
    const intent = this.#intent;
    if (!intent) return;
    try {
      await this.#host.transport.presenceEnter(this.#channel, intent.data);
    } catch (error) {
      if (isRealtimeError(error) && !error.retryable && this.#intent === intent) {
        // Refused for good (e.g. not authorized): stop re-entering on every reconnect.
        this.#intent = undefined;
        const release = this.#release;
        this.#release = undefined;
        release?.();
      }
      throw error;
    }
    if (!this.#host.transport.capabilities.presenceUpdate && intent.emulatedUpdate) {
      // Re-entered after a reconnect with emulated updates: others may hold older data.
      this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, { data: intent.data });
    }
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

  #requireSupport(feature: string): void {
    const { transport } = this.#host;
    if (!transport.capabilities.presence) {
      throw new NotSupportedError(
        transport.provider,
        feature,
        'Pick a provider with presence (socketio, sse, pusher, ably), or track members in your own channel events.',
      );
    }
  }
}
