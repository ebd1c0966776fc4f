import { NotSupportedError, type RealtimeError } from './errors.js';
import { Emitter } from './internal/emitter.js';
import type { ChannelHost } from './internal/channelHost.js';
import { PRESENCE_UPDATE_EVENT } from './message.js';
import { type PresenceEvent, type PresenceMember, PresenceSet } from './presenceSet.js';
import { Store, type ReadableStore } from './store.js';
import type { TransportPresenceEvent } from './transport.js';

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
  #onLeft: (clientId: string) => void;

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
    const release = this.#link.hold();
    const unsubscribe = this.#store.subscribe(listener);
    return () => {
      unsubscribe();
      release();
    };
  };

  onEvent(listener: (event: PresenceEvent<TData>) => void): () => void {
    const release = this.#link.hold();
    const off = this.#events.on('event', listener);
    return () => {
      off();
      release();
    };
  }

  get wantsPresence(): boolean {
    return this.#intent !== undefined || this.#store.listenerCount > 0;
  }

  async enter(data?: TData): Promise<void> {
    this.#requireSupport('presence');
    this.#intent = { data: data ?? null, emulatedUpdate: false };
    this.#release ??= this.#link.hold();
    if (this.#link.isAttached() && this.#host.isConnected()) {
      await this.#sendEnter();
      return;
    }
    await this.#link.whenAttached();
    await this.#entering;
  }

  async update(data: TData): Promise<void> {
    this.#requireSupport('presence');
    if (!this.#intent) return this.enter(data);
    this.#intent.data = data;
    if (!this.#link.isAttached() || !this.#host.isConnected()) {
      // Not live: the next attach enters with the new data.
      await this.#link.whenAttached();
      await this.#entering;
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
      release?.();
    }
  }

  /** @internal The channel attached (first time or after a reconnect): enter again if we were in. */
  attached(): void {
    if (!this.#intent) return;
    this.#entering = this.#sendEnter().catch((error: RealtimeError) => this.#host.reportError(error));
  }

  /** @internal */
  receive(event: TransportPresenceEvent): void {
    const events = this.#set.apply(event);
    this.#emit(events);
    // With emulated updates, a newcomer's snapshot holds our enter-time data: resend the latest.
    if (this.#intent?.emulatedUpdate) {
      const own = this.#host.ownClientId();
      if (events.some((e) => e.type === 'enter' && e.member.clientId !== own)) {
        this.#host.publishEphemeral(this.#channel, PRESENCE_UPDATE_EVENT, {
          data: this.#intent.data,
        });
      }
    }
  }

  /** @internal An emulated update arrived. */
  receiveEmulatedUpdate(clientId: string | undefined, payload: unknown): void {
    if (!clientId) return;
    const data = (payload as { data?: unknown } | null)?.data;
    this.#emit(this.#set.updateMember(clientId, data));
  }

  /** @internal The channel detached: nobody is known to be here any more. */
  reset(): void {
    this.#emit(this.#set.clear());
  }

  async #sendEnter(): Promise<void> {
    const intent = this.#intent;
    if (!intent) return;
    await this.#host.transport.presenceEnter(this.#channel, intent.data);
  }

  #emit(events: PresenceEvent[]): void {
    if (events.length === 0) return;
    this.#store.set(this.#set.members as readonly PresenceMember<TData>[]);
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
