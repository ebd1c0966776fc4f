import { randomUUID } from 'node:crypto';
import {
  ErrorCodes,
  type TransportMessage,
  type TransportPresenceMember,
} from '@patchbay/realtime-core';
import type { Broker, BrokerEvent, StoredMessage } from './broker.js';
import {
  describeFrameError,
  type InboundFrame,
  inboundFrame,
  type OutboundFrame,
  type Reply,
} from './frames.js';
import { HubError } from './hubError.js';
import { SLOW_CONSUMER_GRACE_MS } from './internal/slowConsumer.js';
import { TokenBucket } from './internal/tokenBucket.js';
import { createMemoryBroker } from './memoryBroker.js';

export type HubAction = 'subscribe' | 'publish' | 'presence';

export interface HubOptions {
  /**
   * Turn a token into an identity; throw (or return null) to refuse. Called on every connect.
   * Default (development only): a token `alice` or `alice.<anything>` is user `alice`; without a
   * token the client's requested clientId is trusted. Always set this in production.
   */
  authenticate?(request: {
    token: string | undefined;
    clientId: string | undefined;
  }): { clientId: string } | null | Promise<{ clientId: string } | null>;
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
   * client's socket) before the hub closes it as a slow consumer: over it for 1 s, or over 4 × it
   * at once (a burst written in one turn drains within the second for a client that reads). Default 1 MiB: about a thousand
   * 1 KB messages or sixteen of the largest (`maxMessageBytes`), on top of what the OS socket
   * buffers already hold — seconds of a busy channel, so a client that reads keeps up, while a
   * stopped one costs at most this much memory. The closed client gets a `slow_consumer` error
   * (when it can still read it), reconnects and resumes from its cursor (replay or
   * `discontinuity`). `Infinity` removes the bound.
   */
  maxBufferedBytes?: number;
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
}

interface LocalChannel {
  sessions: Set<HubSession>;
  unsubscribe: () => void;
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
  readonly #channels = new Map<string, LocalChannel>();
  readonly #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly presenceGraceMs: number;
  /** The per-connection outbound buffer bound (see `HubOptions.maxBufferedBytes`). */
  readonly maxBufferedBytes: number;
  #slowConsumersClosed = 0;

  constructor(options: HubOptions = {}) {
    this.#options = options;
    this.broker =
      options.broker ?? createMemoryBroker({ historySize: options.historySize ?? 1_000 });
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    // setTimeout overflows past 2^31-1 ms and would fire at once.
    this.presenceGraceMs = Math.min(options.presenceGraceMs ?? 5_000, 2_147_483_647);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    if (!(this.maxBufferedBytes > 0)) {
      throw new RangeError(
        `maxBufferedBytes must be a positive number of bytes (Infinity removes the bound); got ${options.maxBufferedBytes}.`,
      );
    }
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

  /** Publish from the server: stored, sequenced and delivered like any client message. */
  async publish(
    channel: string,
    event: string,
    data: unknown,
    options: { id?: string } = {},
  ): Promise<StoredMessage> {
    const { message } = await this.broker.append({
      channel,
      id: options.id ?? randomUUID(),
      event,
      data,
      timestamp: Date.now(),
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
    for (const name of this.#channels.keys()) {
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
    return this.#channels.get(channel)?.sessions.size ?? 0;
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
    for (const channel of this.#channels.values()) channel.unsubscribe();
    this.#channels.clear();
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
    let local = this.#channels.get(channel);
    if (!local) {
      const sessions = new Set<HubSession>();
      const unsubscribe = this.broker.subscribe(channel, (event) => this.#fanOut(channel, event));
      local = { sessions, unsubscribe };
      this.#channels.set(channel, local);
    }
    local.sessions.add(session);
  }

  /** @internal */
  leave(session: HubSession, channel: string): void {
    const local = this.#channels.get(channel);
    if (!local) return;
    local.sessions.delete(session);
    if (local.sessions.size === 0) {
      local.unsubscribe();
      this.#channels.delete(channel);
    }
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

  #fanOut(channel: string, event: BrokerEvent): void {
    const local = this.#channels.get(channel);
    if (!local) return;
    for (const session of local.sessions) session.deliver(event);
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

/** One channel as a session delivers it. */
interface ChannelFeed {
  /** Live events held while history is read (subscribe, resync). */
  buffer: BrokerEvent[] | undefined;
  /** The highest sequence number sent (or replayed) on this connection. */
  sentTo: number;
  /** The epoch `sentTo` belongs to. */
  epoch: string | undefined;
}

interface SessionInit {
  id: string;
  clientId: string;
  echo: boolean;
  link: SessionLink;
  bucket: TokenBucket | undefined;
  maxWaitMs: number;
}

/** Requests one connection may have waiting before the hub refuses more. */
const MAX_QUEUED_REQUESTS = 1_000;
/**
 * How long later publishes wait for a refused one to come back. Clients resend within their
 * retry delay; one that dropped the refused messages for good is not held up past this.
 */
const REFUSAL_HOLD_MS = 10_000;

/**
 * One connection to the hub. Endpoints call `handle(frame)` for every inbound frame and send the
 * reply; the session pushes messages and presence through its link.
 */
export class HubSession {
  readonly id: string;
  readonly clientId: string;
  readonly echo: boolean;
  readonly link: SessionLink;
  readonly #hub: Hub;
  readonly #bucket: TokenBucket | undefined;
  /** Channels this connection receives; a channel mid-replay buffers live events. */
  readonly #channels = new Map<string, ChannelFeed>();
  readonly #presence = new Set<string>();
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #waiting = 0;
  readonly #maxWaitMs: number;
  /** Publishes refused with a retryable error since the last accepted one (see `#refuse`). */
  #refused: { ids: Set<string>; since: number } | undefined;
  /** Fault injection: a blackholed session swallows requests and sends nothing. */
  blackholed = false;

  constructor(hub: Hub, init: SessionInit) {
    this.#hub = hub;
    this.id = init.id;
    this.clientId = init.clientId;
    this.echo = init.echo;
    this.link = init.link;
    this.#bucket = init.bucket;
    this.#maxWaitMs = init.maxWaitMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Validate and run one inbound frame. Never throws: every failure is a `{ ok: false }` reply
   * with a code and a message saying how to fix it. Resolves `undefined` when blackholed.
   */
  handle(raw: unknown): Promise<Reply | undefined> {
    if (this.blackholed) return new Promise<undefined>(() => {});
    if (this.#waiting >= MAX_QUEUED_REQUESTS) {
      return Promise.resolve(
        fail(
          ErrorCodes.RateLimited,
          `More than ${MAX_QUEUED_REQUESTS} requests are waiting on this connection; wait for replies before sending more.`,
          true,
        ),
      );
    }
    this.#waiting++;
    // One connection's requests run one after another: with async hooks (authorize, a remote
    // broker) concurrent handling would reorder a publisher's messages.
    const run = this.#queue
      .then(() => this.#handleNow(raw))
      .finally(() => {
        this.#waiting--;
      });
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #handleNow(raw: unknown): Promise<Reply | undefined> {
    if (this.blackholed) return new Promise<undefined>(() => {});
    if (this.#closed) return fail(ErrorCodes.ConnectionClosed, 'This connection is closed.', true);
    // Counted before parsing, so a flood of malformed frames is throttled too. Over the rate, a
    // request waits its turn (backpressure keeps a reconnect flush whole and in order); only one
    // that would wait longer than `maxWaitMs` is refused.
    const bucket = this.#bucket;
    if (bucket) {
      const wait = bucket.waitMs();
      if (wait > this.#maxWaitMs) {
        const { op, id, ephemeral } = (raw ?? {}) as {
          op?: unknown;
          id?: unknown;
          ephemeral?: unknown;
        };
        if (op === 'publish' && typeof id === 'string' && ephemeral !== true) this.#refuse(id);
        return fail(
          ErrorCodes.RateLimited,
          'Too many requests on this connection; slow down (the hub allows a burst, then a steady rate).',
          true,
        );
      }
      // Wait for the token itself: a timer may fire a millisecond before the clock shows it
      // refilled, and a request must never pass without one.
      while (!bucket.take()) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, bucket.waitMs())));
      }
    }
    const parsed = inboundFrame.safeParse(raw);
    if (!parsed.success) {
      return fail(
        ErrorCodes.InvalidFrame,
        `Malformed request (${describeFrameError(parsed.error)}).`,
      );
    }
    const frame = parsed.data;
    const publishId = frame.op === 'publish' && !frame.ephemeral ? frame.id : undefined;
    if (publishId !== undefined && this.#refused) {
      if (!this.#refused.ids.has(publishId) && Date.now() - this.#refused.since < REFUSAL_HOLD_MS) {
        this.#refuse(publishId);
        return fail(
          ErrorCodes.RateLimited,
          'An earlier message on this connection was refused and has not been sent again yet; later ones wait for it, so order holds. Resend in order.',
          true,
        );
      }
      this.#refused = undefined;
    }
    let reply: Reply;
    try {
      reply = await this.#run(frame);
    } catch (error) {
      reply =
        error instanceof HubError
          ? { ok: false, error: error.toWire() }
          : fail(
              ErrorCodes.TransportError,
              `The hub failed to handle "${frame.op}": ${String(error)}`,
              true,
            );
    }
    if (publishId !== undefined && !reply.ok && reply.error.retryable) this.#refuse(publishId);
    return reply;
  }

  /**
   * A publish was refused with a retryable error (Redis away, rate limit): the client sends it
   * again, but the ones it already has on the wire behind it would be stored first. Until one of
   * the refused ids comes back, later publishes are refused too, so storage order stays the
   * order the client published in.
   */
  #refuse(id: string): void {
    if (!this.#refused || this.#refused.ids.size >= MAX_QUEUED_REQUESTS * 10) {
      this.#refused = { ids: new Set(), since: Date.now() };
    }
    this.#refused.ids.add(id);
  }

  async #run(frame: InboundFrame): Promise<Reply> {
    const hub = this.#hub;
    switch (frame.op) {
      case 'subscribe': {
        await hub.authorize(this, frame.channel, 'subscribe');
        return {
          ok: true,
          ...(await this.#subscribe(frame.channel, frame.resumeFrom, frame.epoch)),
        };
      }
      case 'unsubscribe': {
        this.#channels.delete(frame.channel);
        hub.leave(this, frame.channel);
        if (this.#presence.delete(frame.channel))
          await hub.broker.presenceRemove(frame.channel, this.id);
        return { ok: true };
      }
      case 'publish': {
        const size = Buffer.byteLength(
          JSON.stringify({ event: frame.event, data: frame.data ?? null }),
        );
        if (size > hub.maxMessageBytes) {
          throw new HubError(
            ErrorCodes.MessageTooLarge,
            `This message is ${size} bytes; the hub accepts at most ${hub.maxMessageBytes}. Send a reference and fetch large data separately.`,
          );
        }
        await hub.authorize(this, frame.channel, 'publish');
        const message: TransportMessage = {
          channel: frame.channel,
          id: frame.id,
          event: frame.event,
          data: frame.data ?? null,
          clientId: this.clientId,
          connectionId: this.id,
          timestamp: Date.now(),
        };
        if (frame.ephemeral) {
          await hub.broker.broadcast({ ...message, ephemeral: true });
          return { ok: true };
        }
        const { message: stored } = await hub.broker.append(message);
        return { ok: true, seq: stored.seq };
      }
      case 'presence': {
        if (frame.action === 'leave') {
          this.#presence.delete(frame.channel);
          await hub.broker.presenceRemove(frame.channel, this.id);
          return { ok: true };
        }
        const size = Buffer.byteLength(JSON.stringify(frame.data ?? null));
        if (size > hub.maxMessageBytes) {
          throw new HubError(
            ErrorCodes.MessageTooLarge,
            `Presence data is ${size} bytes; the hub accepts at most ${hub.maxMessageBytes}. Keep presence to small status fields.`,
          );
        }
        await hub.authorize(this, frame.channel, 'presence');
        const first = !this.#presence.has(frame.channel);
        this.#presence.add(frame.channel);
        await hub.broker.presenceSet(frame.channel, {
          clientId: this.clientId,
          connectionId: this.id,
          data: frame.data ?? null,
        });
        // Announce the new connection before ending the dropped one, so watchers never see a leave.
        if (first) await hub.endGhosts(frame.channel, this.clientId);
        return { ok: true };
      }
      case 'history': {
        await hub.authorize(this, frame.channel, 'subscribe');
        const page = await hub.broker.history(frame.channel, {
          ...(frame.afterSeq !== undefined ? { afterSeq: frame.afterSeq } : {}),
          ...(frame.limit !== undefined ? { limit: frame.limit } : {}),
        });
        return { ok: true, messages: page.messages, seq: page.seq };
      }
    }
  }

  async #subscribe(
    channel: string,
    resumeFrom: number | undefined,
    epoch: string | undefined,
  ): Promise<{ recovered: boolean; resynced?: true; seq: number; epoch: string }> {
    const hub = this.#hub;
    // Subscribed again on this connection (a client whose subscribe timed out during a long
    // replay retries it): what was already sent here is still on its way, in order, so the replay
    // starts after it rather than after the client's position, which lags behind it.
    const previous = this.#channels.get(channel);
    if (
      resumeFrom !== undefined &&
      previous?.epoch !== undefined &&
      previous.epoch === (epoch ?? previous.epoch) &&
      previous.sentTo > resumeFrom
    ) {
      resumeFrom = previous.sentTo;
    }
    // Join first and buffer, so nothing published while history is read falls in between.
    const entry: ChannelFeed = { buffer: [], sentTo: 0, epoch: undefined };
    this.#channels.set(channel, entry);
    hub.join(this, channel);
    try {
      // A remote broker's subscription must be live before history is read.
      await hub.broker.ready?.(channel);
    } catch (error) {
      if (this.#channels.get(channel) === entry) {
        this.#channels.delete(channel);
        hub.leave(this, channel);
      }
      throw error;
    }
    let page = await hub.broker.history(
      channel,
      resumeFrom !== undefined ? { afterSeq: resumeFrom } : { limit: 0 },
    );
    let recovered = false;
    let resynced = false;
    if (resumeFrom !== undefined) {
      // Sequence numbers only compare within one epoch: after a restart on the memory broker, or
      // a Redis that lost its data, position 5 is not the old position 5. A position past the
      // channel's end is lost state too. Such a cursor gets a discontinuity and then everything
      // the channel holds now, so nothing stored since the restart is skipped.
      const stale = (epoch !== undefined && epoch !== page.epoch) || resumeFrom > page.seq;
      if (stale) {
        if (resumeFrom > 0) page = await hub.broker.history(channel, { afterSeq: 0 });
        resynced = true;
        if (this.#channels.get(channel) === entry) {
          this.#send({
            type: 'discontinuity',
            channel,
            reason: 'history-unavailable',
            epoch: page.epoch,
          });
        }
      } else {
        recovered =
          resumeFrom === page.seq ||
          (resumeFrom < page.seq &&
            page.oldestSeq !== undefined &&
            page.oldestSeq <= resumeFrom + 1);
      }
      if (recovered || resynced) {
        entry.epoch = page.epoch;
        for (const message of page.messages) {
          if (this.#channels.get(channel) !== entry) break;
          this.#sendMessage(message);
          entry.sentTo = message.seq;
          if ((this.link.unsent?.() ?? 0) > this.#hub.maxBufferedBytes / 2) await this.#drain();
        }
      }
    }
    entry.sentTo = recovered ? Math.max(resumeFrom ?? 0, page.seq) : page.seq;
    entry.epoch = page.epoch;
    const reply = {
      recovered,
      ...(resynced ? { resynced: true as const } : {}),
      seq: page.seq,
      epoch: page.epoch,
    };
    const members = await hub.broker.presenceMembers(channel);
    if (this.#closed) {
      // The link went down mid-replay (a slow consumer cut, a drop): the client did not get what
      // `recovered` would promise. It resumes from its own position on the next connection.
      throw new HubError(
        ErrorCodes.ConnectionClosed,
        `The connection closed while "${channel}" was being subscribed; subscribe again after reconnecting.`,
        { retryable: true },
      );
    }
    if (this.#channels.get(channel) !== entry) return reply;
    this.#send({ type: 'presence', channel, event: { type: 'sync', members } });
    const buffered = entry.buffer ?? [];
    entry.buffer = undefined;
    for (const event of buffered) this.deliver(event);
    return reply;
  }

  /**
   * Wait until the link has taken most of what was sent, for at most the slow-consumer grace: a
   * client that reads keeps up with the replay; one that does not is left to the endpoint's
   * slow-consumer check, which the writes that follow trigger.
   */
  async #drain(): Promise<void> {
    const limit = this.#hub.maxBufferedBytes / 2;
    const deadline = Date.now() + SLOW_CONSUMER_GRACE_MS;
    while (!this.#closed && (this.link.unsent?.() ?? 0) > limit && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** @internal A broker event for a channel this session joined. */
  deliver(event: BrokerEvent): void {
    const channel = event.kind === 'message' ? event.message.channel : event.channel;
    const entry = this.#channels.get(channel);
    if (!entry) return;
    if (entry.buffer) {
      entry.buffer.push(event);
      return;
    }
    if (event.kind === 'presence') {
      this.#send({ type: 'presence', channel, event: event.event });
      return;
    }
    const { message } = event;
    if (message.seq !== undefined) {
      if (event.epoch !== undefined && entry.epoch !== undefined && event.epoch !== entry.epoch) {
        this.#resync(channel, entry);
        return;
      }
      // Replay (or an earlier delivery) already sent everything up to sentTo.
      if (message.seq <= entry.sentTo) return;
      entry.sentTo = message.seq;
    }
    if (message.ephemeral && message.connectionId === this.id) return;
    this.#sendMessage(message);
  }

  /**
   * The channel's sequence restarted under a live subscription (Redis lost its data): subscribe
   * again from this connection's position, which signals the discontinuity and sends what the new
   * epoch holds. Live events wait meanwhile (history covers them). If history cannot be read, the
   * link is cut: the client reconnects and resumes from its own position.
   */
  #resync(channel: string, entry: ChannelFeed): void {
    entry.buffer = [];
    const { sentTo, epoch } = entry;
    this.#queue = this.#queue.then(async () => {
      if (this.#closed || this.#channels.get(channel) !== entry) return;
      try {
        await this.#subscribe(channel, sentTo, epoch);
      } catch {
        this.link.terminate();
      }
    });
  }

  #sendMessage(message: TransportMessage): void {
    if (!this.echo && message.connectionId === this.id) return;
    this.#send(messageFrame(message));
  }

  #send(frame: OutboundFrame): void {
    if (this.#closed || this.blackholed) return;
    this.link.send(frame);
  }

  /**
   * End the session. `client`: the app closed it, presence leaves now. `lost`: the link died,
   * presence lingers for the hub's grace period so a quick reconnect shows no leave.
   */
  async close(reason: 'client' | 'lost'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const hub = this.#hub;
    hub.forget(this);
    for (const channel of this.#channels.keys()) hub.leave(this, channel);
    this.#channels.clear();
    for (const channel of this.#presence) {
      if (reason === 'client' || hub.presenceGraceMs === 0) {
        await hub.broker.presenceRemove(channel, this.id);
      } else {
        const members = await hub.broker.presenceMembers(channel);
        const member = members.find((m) => m.connectionId === this.id);
        if (member) hub.scheduleLeave(channel, member);
      }
    }
    this.#presence.clear();
  }
}

/**
 * One frame per message, shared by every session of this process that delivers it (fan-out hands
 * each session the same broker event), so endpoints can cache its wire form on it. Frames are
 * read-only: links must not change them.
 */
const messageFrames = new WeakMap<TransportMessage, OutboundFrame>();

function messageFrame(message: TransportMessage): OutboundFrame {
  let frame = messageFrames.get(message);
  if (!frame) {
    frame = { type: 'message', ...message };
    messageFrames.set(message, frame);
  }
  return frame;
}

function fail(code: string, message: string, retryable = false): Reply {
  return { ok: false, error: { code, message, ...(retryable ? { retryable } : {}) } };
}
