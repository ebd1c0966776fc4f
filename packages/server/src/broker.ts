import type {
  TransportMessage,
  TransportPresenceEvent,
  TransportPresenceMember,
} from '@patchbay/realtime-core/transport';

/** A message as stored by a broker: it has a per-channel sequence number. */
export type StoredMessage = TransportMessage & { seq: number; timestamp: number };

/** What crosses hub processes for one channel. */
export type BrokerEvent =
  /**
   * `epoch`: the sequence space a stored message's `seq` belongs to (see `HistoryPage.epoch`).
   * A subscriber that sees it change knows the sequence restarted (Redis lost its data).
   */
  | { kind: 'message'; message: TransportMessage; epoch?: string | undefined }
  | { kind: 'presence'; channel: string; event: TransportPresenceEvent };

export interface HistoryPage {
  messages: StoredMessage[];
  /** The channel's latest sequence number (0 when nothing was ever published). */
  seq: number;
  /** The oldest sequence number still kept, if any. */
  oldestSeq?: number;
  /**
   * Identifies the broker's sequence space. It changes when sequence numbers restart (a memory
   * broker after a restart), so a client's old position is never mistaken for a new one.
   */
  epoch: string;
}

/**
 * Where channel state lives: sequence numbers, history, presence, and fan-out between hub
 * processes. The memory broker serves one process with zero setup; a Redis broker implements
 * the same interface for several processes behind a load balancer.
 */
export interface Broker {
  /**
   * True when other processes share this broker's channels (Redis): the SSE endpoints then run
   * a request on whichever process holds its stream, so no sticky routing is needed.
   */
  readonly shared?: boolean;
  /**
   * Store a message with the channel's next sequence number and fan it out. Idempotent by id: a
   * message whose id is still in history is returned as stored, not stored or sent twice.
   */
  append(
    message: Omit<TransportMessage, 'seq'>,
  ): Promise<{ message: StoredMessage; duplicate: boolean }>;
  /** Fan out without storing (typing and other ephemeral traffic). */
  broadcast(message: TransportMessage): Promise<void>;
  history(channel: string, options?: { afterSeq?: number; limit?: number }): Promise<HistoryPage>;
  /** Forget a channel's history (admin, tests). */
  clearHistory(channel: string): Promise<void>;
  presenceSet(channel: string, member: TransportPresenceMember): Promise<'enter' | 'update'>;
  presenceRemove(
    channel: string,
    connectionId: string,
  ): Promise<TransportPresenceMember | undefined>;
  presenceMembers(channel: string): Promise<TransportPresenceMember[]>;
  /** Listen to one channel's events from every process. */
  subscribe(channel: string, listener: (event: BrokerEvent) => void): () => void;
  /**
   * Resolves once this process's subscription to the channel (made by `subscribe`) receives
   * events. Brokers whose subscribe is asynchronous (Redis) implement it; the hub waits for it
   * before reading history, so nothing published in between is missed.
   */
  ready?(channel: string): Promise<void>;
  close(): Promise<void>;
}
