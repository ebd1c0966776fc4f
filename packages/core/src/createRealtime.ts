import type { ReconnectOptions } from './backoff.js';
import type { Channel } from './channel.js';
import type { ConnectionSnapshot } from './connectionState.js';
import type { ConnectivitySource } from './connectivity.js';
import type {
  ChannelDefinition,
  EventMap,
  EventSchemas,
  InferPresence,
  InferPresenceInput,
  InferPublishEvents,
  InferReceiveEvents,
} from './defineChannel.js';
import type { RealtimeError } from './errors.js';
import { Client } from './internal/client.js';
import type { QueueStatus } from './internal/publishQueue.js';
import type { QueueStorage } from './queueStorage.js';
import type { StandardSchemaV1 } from './standardSchema.js';
import type { ReadableStore } from './store.js';
import type { Timers } from './timers.js';
import type { Transport, TransportCapabilities } from './transport/types.js';

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

export interface AttachOptions {
  /**
   * How many times a channel's attach may be refused with a retryable error (the server's
   * authorize hook or database failing, a rate limit) before the channel goes to `failed`.
   * Refusals are retried with the `reconnect` backoff and reported from the first one. Default 8.
   */
  maxAttempts?: number;
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
  attach?: AttachOptions;
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
