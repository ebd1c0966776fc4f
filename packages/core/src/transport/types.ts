import type { RealtimeError } from '../errors.js';

/**
 * What a transport can do natively. Core reads this to decide what to emulate and what to refuse
 * with `NotSupportedError`; docs/providers.md is generated from it.
 */
export interface TransportCapabilities {
  /** Clients can publish (otherwise publishing needs a server endpoint). */
  clientPublish: boolean;
  /** `publish` resolves on the provider's acknowledgement (otherwise: when handed to the provider). */
  publishAck: boolean;
  /** Presence sets exist on this provider. */
  presence: boolean;
  /** Presence data can change without leave + enter. When false, core emulates update. */
  presenceUpdate: boolean;
  /** Past messages can be fetched with `channel.history()`. */
  history: boolean;
  /** After a reconnect the transport replays what a channel missed. When false, core emits `discontinuity`. */
  recovery: boolean;
  /** The provider can suppress a connection's own messages. When false, core filters echoes itself. */
  echoControl: boolean;
  /** Largest message the provider accepts, in bytes of JSON. */
  maxMessageBytes: number;
  /**
   * The provider keeps a member whose link dropped for a grace period before it reports the
   * leave (the hub 5 s, Ably 15 s). When false (Pusher removes members at once), core holds a
   * leave that was not deliberate on the receiving side for `presence.leaveGraceMs` and drops it
   * when the member comes back, so a blip never shows as leave + enter.
   */
  presenceGrace: boolean;
  /**
   * Most publishes the transport takes before the earliest is answered. Default 100. A transport
   * that sends one request at a time declares 1, so core hands it the next publish when the last
   * is acknowledged and `publishTimeoutMs` counts each send alone, not its wait in line.
   */
  maxPublishesInFlight?: number;
}

/** A message as a transport delivers it to core. */
export interface TransportMessage {
  channel: string;
  id: string;
  event: string;
  data: unknown;
  /** Set by the provider from the publisher's authenticated identity, never from the payload. */
  clientId?: string;
  connectionId?: string;
  /** Milliseconds since the epoch, stamped by the provider where it can. */
  timestamp?: number;
  /** Per-channel sequence number where the provider has one; used for recovery and gap detection. */
  seq?: number;
  /** Ephemeral traffic (typing) is not stored, replayed or deduplicated. */
  ephemeral?: boolean;
}

/** One connection's presence on a channel, as the provider reports it. */
export interface TransportPresenceMember {
  clientId: string;
  /** Distinguishes several connections of one user; transports without it use the clientId. */
  connectionId: string;
  data: unknown;
}

export type TransportPresenceEvent =
  | { type: 'sync'; members: TransportPresenceMember[] }
  | { type: 'enter' | 'update'; member: TransportPresenceMember }
  | {
      type: 'leave';
      member: TransportPresenceMember;
      /**
       * The member left on purpose (`leave()`, `close()`, unsubscribing), not through a dropped
       * link: core never holds it for the grace period.
       */
      deliberate?: boolean;
    };

/** The vendor client lost its link and is retrying by itself (`linkMode: 'persistent'`). */
export interface TransportReconnecting {
  /** Why the link dropped or the last attempt failed. */
  error: RealtimeError;
  /** The attempt in progress or scheduled, from 1, where the SDK tells; otherwise core counts. */
  attempt?: number;
  /** When the vendor's next attempt starts (ms since epoch), where the SDK tells. */
  nextAttemptAt?: number;
}

/** The vendor client is connected again (`linkMode: 'persistent'`). */
export interface TransportReconnected extends TransportConnection {
  /**
   * The vendor resumed the session: channels and presence were kept and what was missed was
   * delivered by the vendor. Core still re-attaches each channel; the transport answers those
   * attaches as recovered without reading history.
   */
  resumed: boolean;
}

/** How a transport reports what happens on the live link. Bound per connection attempt. */
export interface TransportSink {
  message(message: TransportMessage): void;
  presence(channel: string, event: TransportPresenceEvent): void;
  /**
   * The link dropped after `connect` resolved, and this transport will not bring it back: core
   * reconnects with its backoff policy (a new `connect`), or fails when `error.retryable` is false.
   * A persistent transport calls this only when its vendor client gave up for good.
   */
  lost(error: RealtimeError): void;
  /**
   * Persistent transports: the vendor client dropped the link (or failed another attempt) and
   * retries by itself. Core shows `reconnecting`, pauses the queue and keeps everything else.
   */
  reconnecting?(info: TransportReconnecting): void;
  /** Persistent transports: the vendor client is connected again. */
  reconnected?(connection: TransportReconnected): void;
  /** The provider tells us a channel lost continuity (e.g. its history was truncated). */
  discontinuity(channel: string, reason: string): void;
  /**
   * The server sent something unusable (a malformed frame) that the transport dropped; the link
   * stays up. Core reports it on the client's `error` event.
   */
  error?(error: RealtimeError): void;
}

export interface TransportConnectRequest {
  /** From the app's `auth()` callback, fetched anew for every attempt. */
  token: string | undefined;
  /** The clientId the app asked for; the provider may assign another from the token. */
  clientId: string | undefined;
  /** Whether this connection wants its own messages back (used where `echoControl` is true). */
  echo: boolean;
  sink: TransportSink;
  /** Aborted when core gives up on this attempt (timeout, close). */
  signal: AbortSignal;
  /**
   * A fresh token from the app's `auth()` (undefined without one). Persistent transports call it
   * whenever their vendor client needs credentials again (a reconnect, a token renewal).
   */
  refreshToken(): Promise<string | undefined>;
  /** The app's reconnect policy, for a persistent transport to configure its vendor's retries. */
  reconnect: {
    baseDelayMs: number;
    maxDelayMs: number;
    connectTimeoutMs: number;
    /**
     * The policy's wait before the next attempt after `failures` consecutive failures (0 right
     * after a dropped link): full jitter with the app's `random`, as core waits itself.
     */
    delayMs(failures: number): number;
  };
}

export interface TransportConnection {
  /** The identity the provider authenticated. */
  clientId?: string;
  connectionId?: string;
}

export interface TransportSubscribeOptions {
  /**
   * The last sequence number this client saw on the channel before the link dropped. A transport
   * with `recovery` replays everything after it through the sink before resolving, and resolves
   * `{ recovered: false }` when it cannot (history truncated).
   */
  resumeFrom?: number;
  /** The channel will be used for presence (a hint for providers with separate channel kinds). */
  presence?: boolean;
}

export interface TransportSubscribeResult {
  /** True when everything since `resumeFrom` was replayed. Ignored without `resumeFrom`. */
  recovered: boolean;
  /** The channel's current sequence number, where the provider has one. */
  seq?: number;
}

export interface TransportPublish {
  channel: string;
  id: string;
  event: string;
  data: unknown;
  /** Ephemeral (typing): may be sent on the cheapest unacknowledged path and never stored. */
  ephemeral?: boolean;
}

export interface TransportHistoryOptions {
  limit?: number;
  /** Only messages with a sequence number greater than this. */
  afterSeq?: number;
}

/**
 * Who brings a dropped link back.
 * - `attempt` (default): each `connect` is one attempt; core retries with its backoff and owns
 *   every state change (the hub transports, memory).
 * - `persistent`: `connect` starts a long-lived vendor client that reconnects by itself (Pusher,
 *   Ably). Core never tears it down on a blip: the transport reports `sink.reconnecting` and
 *   `sink.reconnected`, and core maps them onto the same state store.
 */
export type TransportLinkMode = 'attempt' | 'persistent';

/**
 * The adapter contract. A transport maps one provider onto Patchbay's semantics: the link (see
 * `TransportLinkMode`), channel attach/detach, publish resolving on the provider's
 * acknowledgement, presence, and recovery where the provider has it. It never connects in its
 * factory and never creates globals.
 *
 * Operations other than `connect` are only called while connected. When the link drops, the
 * transport rejects its pending operations with a retryable error and calls `sink.lost()` once
 * (`attempt` mode) or `sink.reconnecting()` (`persistent` mode).
 */
export interface Transport {
  /** Provider name used in messages and capability docs, e.g. `socketio`. */
  readonly provider: string;
  readonly capabilities: TransportCapabilities;
  /** Default `attempt`. */
  readonly linkMode?: TransportLinkMode;
  /**
   * `attempt` mode: make one connection attempt. `persistent` mode: start the vendor client and
   * resolve when it first connects; report its failed attempts with `sink.reconnecting` meanwhile.
   * Reject with a `RealtimeError` whose `retryable` is false when retrying cannot help (e.g.
   * `AuthError`).
   */
  connect(request: TransportConnectRequest): Promise<TransportConnection>;
  /**
   * Close the link deliberately (the vendor client too): presence leaves at once, no `sink.lost`.
   * Safe to call at any time.
   */
  disconnect(): void;
  /** `persistent` mode: try now instead of waiting out the vendor's delay (the network came back). */
  reconnectNow?(): void;
  /**
   * Attach `channel`. A rejection leaves nothing behind that retries by itself (e.g. a vendor
   * channel its SDK would re-attach later): whether and when to try again is core's decision,
   * with its attach backoff and `attach.maxAttempts`.
   */
  subscribe(channel: string, options: TransportSubscribeOptions): Promise<TransportSubscribeResult>;
  /**
   * The app started (`true`) or stopped (`false`) using presence on an attached channel, after
   * `subscribe` was told otherwise. For providers where presence costs a separate subscription
   * (Pusher); the others leave it out and send presence to every subscriber.
   */
  watchPresence?(channel: string, watching: boolean): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  publish(message: TransportPublish): Promise<void>;
  presenceEnter(channel: string, data: unknown): Promise<void>;
  presenceUpdate(channel: string, data: unknown): Promise<void>;
  presenceLeave(channel: string): Promise<void>;
  history?(channel: string, options: TransportHistoryOptions): Promise<TransportMessage[]>;
}
