import { ErrorCodes } from '@patchbay/realtime-core';
import type { TransportMessage } from '@patchbay/realtime-core/transport';
import type { BrokerEvent } from './broker.js';
import { ChannelFeeds } from './channelFeeds.js';
import {
  describeFrameError,
  type InboundFrame,
  inboundFrame,
  type Reply,
  wireFailure,
} from './frames.js';
import type { Hub, SessionLink } from './hub.js';
import { HubError } from './hubError.js';
import { PublishOrder } from './internal/publishOrder.js';
import type { TokenBucket } from './internal/tokenBucket.js';

/** What `Hub.openSession` gives a new session. */
export interface SessionInit {
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
 * One connection to the hub. Endpoints call `handle(frame)` for every inbound frame and send the
 * reply; the session pushes messages and presence through its link (its `ChannelFeeds`).
 */
export class HubSession {
  readonly id: string;
  readonly clientId: string;
  readonly echo: boolean;
  readonly link: SessionLink;
  readonly #hub: Hub;
  readonly #bucket: TokenBucket | undefined;
  /** Channels this connection receives. */
  readonly #feeds: ChannelFeeds;
  readonly #presence = new Set<string>();
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #waiting = 0;
  readonly #maxWaitMs: number;
  /** Keeps storage order = publish order across retryable refusals. */
  readonly #order = new PublishOrder();
  #blackholed = false;

  constructor(hub: Hub, init: SessionInit) {
    this.#hub = hub;
    this.id = init.id;
    this.clientId = init.clientId;
    this.echo = init.echo;
    this.link = init.link;
    this.#bucket = init.bucket;
    this.#maxWaitMs = init.maxWaitMs;
    this.#feeds = new ChannelFeeds(hub, this, (task) => {
      this.#queue = this.#queue.then(task);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Fault injection: a blackholed session swallows requests and sends nothing. */
  get blackholed(): boolean {
    return this.#blackholed;
  }

  set blackholed(value: boolean) {
    this.#blackholed = value;
    // Room broadcasts would still reach it: it takes live messages one by one (and drops them).
    if (value) this.#feeds.leaveRooms();
  }

  /**
   * Validate and run one inbound frame. Never throws: every failure is a `{ ok: false }` reply
   * with a code and a message saying how to fix it. Resolves `undefined` when blackholed.
   */
  handle(raw: unknown): Promise<Reply | undefined> {
    if (this.blackholed) return new Promise<undefined>(() => {});
    if (this.#waiting >= MAX_QUEUED_REQUESTS) {
      return Promise.resolve(
        wireFailure(
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
    if (this.#closed)
      return wireFailure(ErrorCodes.ConnectionClosed, 'This connection is closed.', true);
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
        if (op === 'publish' && typeof id === 'string' && ephemeral !== true) {
          this.#order.refused(id);
        }
        return wireFailure(
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
      return wireFailure(
        ErrorCodes.InvalidFrame,
        `Malformed request (${describeFrameError(parsed.error)}).`,
      );
    }
    const frame = parsed.data;
    const publishId = frame.op === 'publish' && !frame.ephemeral ? frame.id : undefined;
    if (publishId !== undefined && !this.#order.admit(publishId)) {
      return wireFailure(
        ErrorCodes.RateLimited,
        'An earlier message on this connection was refused and has not been sent again yet; later ones wait for it, so order holds. Resend in order.',
        true,
      );
    }
    let reply: Reply;
    try {
      reply = await this.#run(frame);
    } catch (error) {
      reply =
        error instanceof HubError
          ? { ok: false, error: error.toWire() }
          : wireFailure(
              ErrorCodes.TransportError,
              `The hub failed to handle "${frame.op}": ${String(error)}`,
              true,
            );
    }
    if (publishId !== undefined && !reply.ok && reply.error.retryable)
      this.#order.refused(publishId);
    return reply;
  }

  async #run(frame: InboundFrame): Promise<Reply> {
    const hub = this.#hub;
    switch (frame.op) {
      case 'subscribe': {
        await hub.authorize(this, frame.channel, 'subscribe');
        return {
          ok: true,
          ...(await this.#feeds.subscribe(frame.channel, frame.resumeFrom, frame.epoch)),
        };
      }
      case 'unsubscribe': {
        this.#feeds.remove(frame.channel);
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

  /**
   * @internal A broker event for a channel this session joined, while it is not in the channel's
   * room (in a room, the hub broadcasts live messages to it; presence still comes here).
   */
  deliver(event: BrokerEvent): void {
    this.#feeds.deliver(event);
  }

  /**
   * @internal The channel's sequence restarted under a live subscription (Redis lost its data): subscribe
   * again from this connection's position, which signals the discontinuity and sends what the new
   * epoch holds. Live events wait meanwhile (history covers them). If history cannot be read, the
   * link is cut: the client reconnects and resumes from its own position.
   */
  resync(channel: string): void {
    this.#feeds.resync(channel);
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
    this.#feeds.removeAll();
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
