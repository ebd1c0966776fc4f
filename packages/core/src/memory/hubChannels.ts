import type { RealtimeError } from '../errors.js';
import type {
  TransportMessage,
  TransportPresenceMember,
  TransportSink,
} from '../transport/types.js';

/** One link to a memory hub, as the hub sees it. */
export interface HubConnection {
  id: string;
  clientId: string;
  echo: boolean;
  sink: TransportSink;
  channels: Set<string>;
  blackholed: boolean;
  pending: Set<(error: RealtimeError) => void>;
}

export interface HubChannel {
  seq: number;
  history: TransportMessage[];
  /** The stored messages by id, so an idempotent publish needs no history scan. */
  ids: Map<string, TransportMessage>;
  subscribers: Set<HubConnection>;
  /** Present connections by connectionId. */
  members: Map<string, TransportPresenceMember>;
}

/**
 * A memory hub's channels: who subscribes, who is present, and the numbered history that
 * recovery and `history()` read. A channel that holds nothing is forgotten, so visiting many
 * channel names does not grow the hub.
 */
export class HubChannels {
  readonly #channels = new Map<string, HubChannel>();
  readonly #historySize: number;

  constructor(historySize: number) {
    this.#historySize = historySize;
  }

  get(name: string): HubChannel | undefined {
    return this.#channels.get(name);
  }

  /** The channel, created if the hub does not know it yet. */
  open(name: string): HubChannel {
    let state = this.#channels.get(name);
    if (!state) {
      state = { seq: 0, history: [], ids: new Map(), subscribers: new Set(), members: new Map() };
      this.#channels.set(name, state);
    }
    return state;
  }

  /** Every channel by name. (Deleting from a Map while iterating it is safe.) */
  entries(): IterableIterator<[string, HubChannel]> {
    return this.#channels.entries();
  }

  /**
   * Forget a channel that holds nothing: no subscribers, no members, never a message (its next
   * state would be the same fresh one).
   */
  dropIfUnused(name: string): void {
    const state = this.#channels.get(name);
    if (state && state.seq === 0 && state.subscribers.size === 0 && state.members.size === 0)
      this.#channels.delete(name);
  }

  /**
   * Number and keep a message. `idempotent` (client publishes): a message whose id is stored
   * already is that message, not a second one, so a re-send after a lost ack is acknowledged
   * without being stored twice. `from`: the publisher as receivers see it. Returns the stored
   * message and whether it is new.
   */
  append(
    state: HubChannel,
    message: { channel: string; id: string; event: string; data: unknown },
    from: { clientId?: string; connectionId?: string },
    idempotent: boolean,
  ): { stored: TransportMessage; fresh: boolean } {
    const existing = idempotent ? state.ids.get(message.id) : undefined;
    if (existing) return { stored: existing, fresh: false };
    const stored: TransportMessage = {
      channel: message.channel,
      id: message.id,
      event: message.event,
      data: message.data,
      timestamp: Date.now(),
      seq: ++state.seq,
      ...from,
    };
    state.history.push(stored);
    state.ids.set(stored.id, stored);
    if (state.history.length > this.#historySize) {
      const dropped = state.history.shift() as TransportMessage;
      if (state.ids.get(dropped.id) === dropped) state.ids.delete(dropped.id);
    }
    return { stored, fresh: true };
  }

  history(channel: string, options: { limit?: number; afterSeq?: number }): TransportMessage[] {
    const state = this.#channels.get(channel);
    if (!state) return [];
    let messages = state.history.filter(
      (m) => options.afterSeq === undefined || (m.seq ?? 0) > options.afterSeq,
    );
    if (options.limit !== undefined)
      messages = options.limit > 0 ? messages.slice(-options.limit) : [];
    return messages.map((m) => ({ ...m }));
  }

  /** Forget a channel's history, as if it had aged out: a later resume cannot recover. */
  clearHistory(channel: string): void {
    const state = this.#channels.get(channel);
    if (state) {
      state.history = [];
      state.ids.clear();
    }
  }

  /** Channels with a subscriber, and present users (one per clientId per channel). */
  counts(): { channels: number; members: number } {
    let members = 0;
    let channels = 0;
    for (const state of this.#channels.values()) {
      if (state.subscribers.size > 0) channels++;
      members += new Set([...state.members.values()].map((m) => m.clientId)).size;
    }
    return { channels, members };
  }
}
