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
 * A memory hub's channels by name: who subscribes, who is present, and the numbered history that
 * recovery and `history()` read. A channel that holds nothing is forgotten, so visiting many
 * channel names does not grow the hub.
 */
export type HubChannels = Map<string, HubChannel>;

/** The channel, created if the hub does not know it yet. */
export function openChannel(channels: HubChannels, name: string): HubChannel {
  let state = channels.get(name);
  if (!state) {
    state = { seq: 0, history: [], ids: new Map(), subscribers: new Set(), members: new Map() };
    channels.set(name, state);
  }
  return state;
}

/**
 * Forget a channel that holds nothing: no subscribers, no members, never a message (its next
 * state would be the same fresh one).
 */
export function dropIfUnused(channels: HubChannels, name: string): void {
  const state = channels.get(name);
  if (state && state.seq === 0 && state.subscribers.size === 0 && state.members.size === 0)
    channels.delete(name);
}

/**
 * Number and keep a message, the oldest beyond `historySize` aged out. `from`: the publisher as
 * receivers see it. Returns the stored message.
 */
export function append(
  state: HubChannel,
  message: { channel: string; id: string; event: string; data: unknown },
  from: { clientId?: string; connectionId?: string },
  historySize: number,
): TransportMessage {
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
  if (state.history.length > historySize) {
    const dropped = state.history.shift() as TransportMessage;
    if (state.ids.get(dropped.id) === dropped) state.ids.delete(dropped.id);
  }
  return stored;
}

/** Copies of the kept messages after `afterSeq`, the last `limit` of them. */
export function historyOf(
  state: HubChannel | undefined,
  options: { limit?: number; afterSeq?: number },
): TransportMessage[] {
  if (!state) return [];
  let messages = state.history.filter(
    (m) => options.afterSeq === undefined || (m.seq ?? 0) > options.afterSeq,
  );
  if (options.limit !== undefined)
    messages = options.limit > 0 ? messages.slice(-options.limit) : [];
  return messages.map((m) => ({ ...m }));
}

/**
 * What a subscriber resuming after `resumeFrom` missed, or `undefined` when it cannot recover
 * (nothing to resume from, or history no longer reaches back to the first missed message). A
 * position beyond the channel's seq means lost state: a discontinuity, not a recovery.
 */
export function missedSince(
  state: HubChannel,
  resumeFrom: number | undefined,
): TransportMessage[] | undefined {
  if (resumeFrom === undefined) return undefined;
  const oldest = state.history[0]?.seq;
  const recovered =
    state.seq === resumeFrom ||
    (resumeFrom < state.seq && oldest !== undefined && oldest <= resumeFrom + 1);
  return recovered ? state.history.filter((m) => (m.seq ?? 0) > resumeFrom) : undefined;
}

/** Channels with a subscriber, and present users (one per clientId per channel). */
export function countChannels(channels: HubChannels): { channels: number; members: number } {
  let members = 0;
  let count = 0;
  for (const state of channels.values()) {
    if (state.subscribers.size > 0) count++;
    members += new Set([...state.members.values()].map((m) => m.clientId)).size;
  }
  return { channels: count, members };
}
