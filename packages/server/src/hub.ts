import { randomUUID } from 'node:crypto';
import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import type { TransportPresenceMember } from '@patchbay/realtime-core/transport';
import type { Broker, StoredMessage } from './broker.js';
import type { MessageFrame, OutboundFrame } from './frames.js';
import { HubError } from './hubError.js';
import { HubSession } from './hubSession.js';
import { TokenBucket } from './internal/tokenBucket.js';
import { LocalChannels } from './localChannels.js';
import { createMemoryBroker } from './memoryBroker.js';

export { HubSession } from './hubSession.js';

export type HubAction = 'subscribe' | 'publish' | 'presence';

export interface HubOptions {
  /**
   * Turn a token into an identity; throw (or return null) to refuse. Called on every connect.
   * Required unless `allowAnonymous` is `true`: without it the hub refuses to start, because the
   * identity is what presence, `authorize` and `message.clientId` rest on.
   */
  authenticate?(request: {
    token: string | undefined;
    clientId: string | undefined;
  }): { clientId: string } | null | Promise<{ clientId: string } | null>;
  /**
   * Development only: run without `authenticate`, where any token becomes an identity (a token
   * `alice` or `alice.<anything>` is user `alice`; without a token the client's requested clientId
   * is trusted). Anyone can then connect as anyone, so a hub refuses to start without either this
   * or `authenticate`. Ignored when `authenticate` is set.
   */
  allowAnonymous?: boolean;
  /** Allow or refuse an action on a channel. Default: allow everything. */
  authorize?(request: {
    clientId: string;
    channel: string;
    action: HubAction;
  }): boolean | Promise<boolean>;
  /** Where channel state lives. Default: in memory (one process). */
  broker?: Broker;
  /** Messages kept per channel when the default broker is used. Default 1 000. */
  historySize?: number;
  /** How long a member whose link dropped stays present, waiting for a reconnect. Default 5 000 ms. */
  presenceGraceMs?: number;
  /** Largest message (JSON of event + data) in bytes. Default 64 KiB. */
  maxMessageBytes?: number;
  /**
   * Per-connection request budget; `false` disables. Default 100/s with bursts of 200. Over the
   * rate, requests queue and are answered in order as tokens refill (backpressure), so a client
   * flushing its offline queue slows down instead of failing. A request is refused with a
   * retryable `rate_limited` only when the next token is more than `maxWaitMs` away (default
   * 2 000, i.e. a rate below 0.5/s) or when 1 000 requests are already waiting on the connection.
   */
  rateLimit?: { perSecond: number; burst: number; maxWaitMs?: number } | false;
  /**
   * Bytes one connection may have waiting to be sent (written by the hub, not yet taken by the
   * client's socket) before the hub closes it as a slow consumer: over it for
   * `slowConsumerGraceMs` (1 s by default), or over 4 × it at once. Default 1 MiB: about a thousand
   * 1 KB messages or sixteen of the largest (`maxMessageBytes`), on top of what the OS socket
   * buffers already hold — seconds of a busy channel, so a client that reads keeps up, while a
   * stopped one costs at most this much memory. The closed client gets a `slow_consumer` error
   * (when it can still read it), reconnects and resumes from its cursor (replay or
   * `discontinuity`). `Infinity` removes the bound.
   */
  maxBufferedBytes?: number;
  /**
   * How long a connection may stay over `maxBufferedBytes` before the hub closes it as a slow
   * consumer. Default 1 000 ms. Bytes written in one event-loop turn count as unsent until the
   * socket reports them written, so a burst (a server publishing a thousand messages in a loop)
   * looks like backlog even for a reader that keeps up; the grace lets it drain. Raise it for
   * clients that read in spurts (mobile links, a buffering proxy, a busy host); memory per
   * connection stays under 4 × `maxBufferedBytes` whatever it is. `0` closes a connection still
   * over the bound a turn later, bursts included; `Infinity` leaves only the 4 × limit. Replays
   * also wait at most this long at a time for the client to catch up.
   */
  slowConsumerGraceMs?: number;
  /**
   * How long a slow consumer's link stays half-open after its `slow_consumer` goodbye. Default
   * 5 000 ms. A client that is slow but still reading gets what was queued, the reason and a clean
   * end; one that stopped reading is cut when it expires, freeing what was queued for it (up to
   * 4 × `maxBufferedBytes`). Raise it when slow links need longer to read that backlog; `0` cuts
   * at once (the client sees a plain drop).
   */
  slowConsumerLingerMs?: number;
}

/** Options of a server-side `Hub.publish`. */
export interface HubPublishOptions {
  /** Idempotency key. Generated when absent; pass your own to make retries safe. */
  id?: string;
  /** The publisher's identity as receivers see it (`message.clientId`). */
  clientId?: string;
}

export interface HubStats {
  connections: number;
  channels: number;
  members: number;
  /** Connections this process closed because their unsent bytes exceeded `maxBufferedBytes`. */
  slowConsumersClosed: number;
}

/** What an endpoint (Socket.IO, SSE) gives the hub for one connection. */
export interface SessionLink {
  /** Push a frame to this connection. */
  send(frame: OutboundFrame): void;
  /** Cut the connection abruptly (fault injection, kicking a user). */
  terminate(): void;
  /**
   * Bytes sent to this connection that it has not taken yet. When given, replays are paced by it
   * (kept under half of `maxBufferedBytes`), so a long replay is not itself a slow-consumer burst.
   */
  unsent?(): number;
  /**
   * Delivery shared by the endpoint's connections (Socket.IO rooms). When given, a connection whose
   * subscription is live (its replay sent) joins the channel, and the hub hands each live message to
   * `rooms.delivery` once for all joined connections of that endpoint instead of calling `send` per
   * connection, so the endpoint can encode it once.
   */
  rooms?: LinkRooms;
}

/** A connection's membership in its endpoint's shared channel delivery (see `SessionLink.rooms`). */
export interface LinkRooms {
  /** Receive `channel`'s broadcasts from now on: in effect before it returns. */
  join(channel: string): void;
  /** Stop receiving them: in effect before it returns. */
  leave(channel: string): void;
  /** The same object for every link of one endpoint. */
  readonly delivery: RoomDelivery;
}

export interface RoomDelivery {
  /**
   * Send a live message to every connection joined to its channel, in the order the hub calls this,
   * except the connections (hub connection ids) in `except`: those the hub will not deliver it to
   * (the publisher with echo off, or one that already has it).
   */
  broadcast(frame: MessageFrame, except: readonly string[]): void;
}

/** setTimeout overflows past 2^31-1 ms and would fire at once: longer settings are clamped to it. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A duration option: `fallback` when absent, refused unless ≥ 0, clamped to `MAX_TIMEOUT_MS`. */
function timeoutOption(
  name: string,
  value: number | undefined,
  fallback: number,
  meaning: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeError(
      `${name} must be a number of milliseconds ≥ 0 (default ${fallback}: ${meaning}); got ${String(value)}.`,
    );
  }
  return Math.min(value, MAX_TIMEOUT_MS);
}

/**
 * The self-hosted realtime server behind the Socket.IO and SSE transports. Endpoints turn their
 * wire into `HubSession` requests; the hub enforces auth, limits and validation, assigns sequence
 * numbers through the broker, replays history on resume and keeps presence per connection.
 */
export class Hub {
  readonly broker: Broker;
  readonly maxMessageBytes: number;
  readonly #options: HubOptions;
  readonly #sessions = new Map<string, HubSession>();
  /** The channels with subscribers here, and their fan-out. */
  readonly #channels: LocalChannels;
  readonly #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly presenceGraceMs: number;
  /** The per-connection outbound buffer bound (see `HubOptions.maxBufferedBytes`). */
  readonly maxBufferedBytes: number;
  /** How long a connection may stay over its bound (see `HubOptions.slowConsumerGraceMs`). */
  readonly slowConsumerGraceMs: number;
  /** How long a closed slow consumer's link stays open (see `HubOptions.slowConsumerLingerMs`). */
  readonly slowConsumerLingerMs: number;
  #slowConsumersClosed = 0;

  constructor(options: HubOptions = {}) {
    if (!options.authenticate && options.allowAnonymous !== true) {
      throw new ConfigError(
        "The hub has no authenticate hook, so it cannot tell who a connection is. Pass authenticate({ token, clientId }) => ({ clientId }) | null to verify your app's tokens (a session cookie, a JWT), or, for local development only, allowAnonymous: true to accept any token as a user id and trust the client's requested clientId. The CLI's equivalents are --jwt-secret and --dev.",
      );
    }
    this.#options = options;
    this.broker =
      options.broker ?? createMemoryBroker({ historySize: options.historySize ?? 1_000 });
    this.#channels = new LocalChannels(this.broker, this.#sessions);
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    this.presenceGraceMs = Math.min(options.presenceGraceMs ?? 5_000, MAX_TIMEOUT_MS);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    if (!(this.maxBufferedBytes > 0)) {
      throw new RangeError(
        `maxBufferedBytes must be a positive number of bytes (Infinity removes the bound); got ${options.maxBufferedBytes}.`,
      );
    }
    this.slowConsumerGraceMs = timeoutOption(
      'slowConsumerGraceMs',
      options.slowConsumerGraceMs,
      1_000,
      'how long a connection may stay over maxBufferedBytes before it is closed; Infinity leaves only the 4 × maxBufferedBytes limit',
    );
    this.slowConsumerLingerMs = timeoutOption(
      'slowConsumerLingerMs',
      options.slowConsumerLingerMs,
      5_000,
      'how long a closed slow consumer may still read what was queued for it; 0 cuts it at once',
    );
  }

  /** Authenticate a new connection. Throws `HubError` (`auth_rejected`) when refused. */
  async openSession(
    request: { token: string | undefined; clientId: string | undefined; echo: boolean },
    link: SessionLink,
  ): Promise<HubSession> {
    const identity = await this.#authenticate(request.token, request.clientId);
    const limit = this.#options.rateLimit ?? { perSecond: 100, burst: 200 };
    const session = new HubSession(this, {
      id: randomUUID(),
      clientId: identity.clientId,
      echo: request.echo,
      link,
      bucket: limit === false ? undefined : new TokenBucket(limit.perSecond, limit.burst),
      maxWaitMs: limit === false ? 0 : (limit.maxWaitMs ?? 2_000),
    });
    this.#sessions.set(session.id, session);
    return session;
  }

  /**
   * Authenticate a token without opening a session (HTTP requests that belong to a stream).
   * Throws `HubError` (`auth_rejected`) when refused.
   */
  identify(token: string | undefined, clientId?: string): Promise<{ clientId: string }> {
    return this.#authenticate(token, clientId);
  }

  /**
   * Publish from the server: stored, sequenced and delivered like any client message. Idempotent
   * by `id` while that id is in the channel's history: a retry returns the stored message and
   * delivers nothing again. `clientId` is who the message is from, as receivers see it (the app
   * server vouches for it; the hub does not authenticate it).
   */
  async publish(
    channel: string,
    event: string,
    data: unknown,
    options: HubPublishOptions = {},
  ): Promise<StoredMessage> {
    const { message } = await this.broker.append({
      channel,
      id: options.id ?? randomUUID(),
      event,
      data: data === undefined ? null : data,
      timestamp: Date.now(),
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
    });
    return message;
  }

  async history(
    channel: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<StoredMessage[]> {
    return (await this.broker.history(channel, options)).messages;
  }

  async stats(): Promise<HubStats> {
    let members = 0;
    for (const name of this.#channels.names()) {
      members += new Set((await this.broker.presenceMembers(name)).map((m) => m.clientId)).size;
    }
    return {
      connections: this.#sessions.size,
      channels: this.#channels.size,
      members,
      slowConsumersClosed: this.#slowConsumersClosed,
    };
  }

  /**
   * For endpoint authors: count a connection closed for exceeding `maxBufferedBytes` (in
   * `stats().slowConsumersClosed`). The endpoint closes it and its session as `lost`.
   */
  noteSlowConsumer(): void {
    this.#slowConsumersClosed++;
  }

  /** Connections subscribed to a channel in this process. */
  subscriberCount(channel: string): number {
    return this.#channels.subscriberCount(channel);
  }

  sessions(filter: { clientId?: string } = {}): HubSession[] {
    return [...this.#sessions.values()].filter(
      (s) => filter.clientId === undefined || s.clientId === filter.clientId,
    );
  }

  session(connectionId: string): HubSession | undefined {
    return this.#sessions.get(connectionId);
  }

  /** Close every connection and release the broker's local subscriptions. */
  async close(): Promise<void> {
    // Shutting down is deliberate: members leave now rather than after a grace nobody will end.
    // Sessions close before their links, so the links' own drop handling finds nothing left.
    const sessions = [...this.#sessions.values()];
    for (const session of sessions) await session.close('client');
    for (const session of sessions) session.link.terminate();
    for (const [key, timer] of this.#graceTimers) {
      clearTimeout(timer);
      const [channel, connectionId] = key.split('\u0000') as [string, string];
      await this.broker.presenceRemove(channel, connectionId);
    }
    this.#graceTimers.clear();
    this.#channels.close();
  }

  // Used by HubSession ---------------------------------------------------------------------------

  /** @internal */
  async authorize(session: HubSession, channel: string, action: HubAction): Promise<void> {
    const authorize = this.#options.authorize;
    const allowed = authorize
      ? await authorize({ clientId: session.clientId, channel, action })
      : true;
    if (!allowed) {
      throw new HubError(
        ErrorCodes.AuthRejected,
        `"${session.clientId}" may not ${action} on "${channel}". Grant it in the hub's authorize() hook, or use a channel this user may access.`,
      );
    }
  }

  /** @internal */
  join(session: HubSession, channel: string): void {
    this.#channels.join(session, channel);
  }

  /** @internal */
  leave(session: HubSession, channel: string): void {
    this.#channels.leave(session, channel);
  }

  /**
   * @internal The session has everything of `channel` up to `sentTo` in `epoch` and joins its
   * link's room: live messages reach it through the endpoint's broadcast from now on. Refused
   * (false) when the room's members are on another epoch (they resync on the next message).
   */
  enterRoom(
    session: HubSession,
    channel: string,
    sentTo: number,
    epoch: string | undefined,
  ): boolean {
    return this.#channels.enterRoom(session, channel, sentTo, epoch);
  }

  /** @internal The session leaves `channel`'s room; returns the position it reached there. */
  exitRoom(session: HubSession, channel: string): number {
    return this.#channels.exitRoom(session, channel);
  }

  /** @internal */
  forget(session: HubSession): void {
    this.#sessions.delete(session.id);
  }

  /** @internal A dropped connection's presence lingers for the grace period. */
  scheduleLeave(channel: string, member: TransportPresenceMember): void {
    const key = `${channel}\u0000${member.connectionId}`;
    const timer = setTimeout(() => {
      this.#graceTimers.delete(key);
      void this.broker.presenceRemove(channel, member.connectionId);
    }, this.presenceGraceMs);
    timer.unref?.();
    this.#graceTimers.set(key, timer);
  }

  /** @internal The same user is back on the channel: end the ghosts of their dropped connections now. */
  async endGhosts(channel: string, clientId: string): Promise<void> {
    const members = await this.broker.presenceMembers(channel);
    for (const member of members) {
      const key = `${channel}\u0000${member.connectionId}`;
      const timer = this.#graceTimers.get(key);
      if (member.clientId === clientId && timer) {
        clearTimeout(timer);
        this.#graceTimers.delete(key);
        await this.broker.presenceRemove(channel, member.connectionId);
      }
    }
  }

  async #authenticate(
    token: string | undefined,
    clientId: string | undefined,
  ): Promise<{ clientId: string }> {
    const refuse = (reason: string, cause?: unknown) =>
      new HubError(ErrorCodes.AuthRejected, `The hub refused the connection: ${reason}`, { cause });
    if (!this.#options.authenticate) {
      if (token) return { clientId: token.split('.')[0] || token };
      return { clientId: clientId ?? `anon-${randomUUID().slice(0, 8)}` };
    }
    let identity: { clientId: string } | null;
    try {
      identity = await this.#options.authenticate({ token, clientId });
    } catch (error) {
      throw refuse(error instanceof Error ? error.message : String(error), error);
    }
    if (!identity || typeof identity.clientId !== 'string' || identity.clientId.length === 0) {
      throw refuse(
        'the token is missing, invalid or expired. Issue a fresh one from the app’s auth() callback.',
      );
    }
    return identity;
  }
}
