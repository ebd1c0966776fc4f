import type { TransportMessage, TransportPresenceMember } from '@patchbay/realtime-core/transport';
import type { BrokerEvent } from './broker.js';
import {
  hasShardedPubSub,
  type RedisClient,
  type RedisLinks,
  redisUnavailable,
} from './redisConnections.js';
import { type PublishCommand, type RedisStore, seqOf } from './redisStore.js';

/** How this broker publishes, and its subscriber connection. */
export interface PubSub {
  publish: PublishCommand;
  subscriber: RedisClient;
}

/** This process's subscription to one channel. */
export interface Subscription {
  channel: string;
  listeners: Set<(event: BrokerEvent) => void>;
  /** The subscribe in flight or done; reset after a failure so the next `ready()` retries. */
  pending: Promise<void> | undefined;
  /** The last sequence number delivered, to notice messages pub/sub lost. */
  lastSeq: number | undefined;
  /** The epoch of `lastSeq` (`''`: the channel had none yet when the subscription began). */
  epoch: string | undefined;
  /** While missing messages are read back from the stream, later events wait here, in order. */
  backlog: BrokerEvent[] | undefined;
}

export interface RedisPubSubOptions {
  links: RedisLinks;
  store: RedisStore;
  /** `RedisBrokerOptions.pubsub`. */
  mode: 'auto' | 'sharded' | 'classic' | undefined;
  /** True once the broker closes: no new subscriber opens, nothing is unsubscribed. */
  isClosing(): boolean;
  /** Log the connection's outages (the broker's one line per outage). */
  watchConnection(client: RedisClient, role: string): void;
}

/**
 * The Redis broker's receive path: one subscriber connection, the channels this process listens
 * to, and delivery of each channel's events in sequence order, refilling from the stream what
 * pub/sub lost.
 */
export class RedisPubSub {
  readonly #options: RedisPubSubOptions;
  readonly #store: RedisStore;
  readonly #subscriptions = new Map<string, Subscription>();
  #subscriber: RedisClient | undefined;
  #mode: Promise<PubSub> | undefined;
  #warnedMalformed = false;

  constructor(options: RedisPubSubOptions) {
    this.#options = options;
    this.#store = options.store;
  }

  /** The subscriber connection, once opened. */
  get subscriber(): RedisClient | undefined {
    return this.#subscriber;
  }

  /** Detect sharded pub/sub once (retried after a failure) and open the subscriber for it. */
  mode(): Promise<PubSub> {
    if (!this.#mode) {
      const { links, mode, isClosing, watchConnection } = this.#options;
      const pending = (async (): Promise<PubSub> => {
        const sharded =
          mode === 'sharded' || (mode !== 'classic' && (await hasShardedPubSub(links.commands)));
        if (isClosing()) throw new Error('the broker is closed');
        const subscriber = links.openSubscriber(sharded);
        this.#subscriber = subscriber;
        watchConnection(subscriber, 'subscriber');
        subscriber.on('smessage', this.#onMessage);
        subscriber.on('message', this.#onMessage);
        return { publish: sharded ? 'SPUBLISH' : 'PUBLISH', subscriber };
      })();
      pending.catch(() => {
        if (this.#mode === pending) this.#mode = undefined;
      });
      this.#mode = pending;
    }
    return this.#mode;
  }

  subscribe(channel: string, listener: (event: BrokerEvent) => void): () => void {
    const subscriptions = this.#subscriptions;
    const pubsubChannel = this.#store.keys(channel).pubsub;
    let sub = subscriptions.get(pubsubChannel);
    if (!sub) {
      sub = {
        channel,
        listeners: new Set(),
        pending: undefined,
        lastSeq: undefined,
        epoch: undefined,
        backlog: undefined,
      };
      subscriptions.set(pubsubChannel, sub);
      void this.#ensureSubscribed(sub).catch(() => {});
    }
    const current = sub;
    current.listeners.add(listener);
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0 || subscriptions.get(pubsubChannel) !== current) return;
      subscriptions.delete(pubsubChannel);
      if (this.#options.isClosing() || !this.#mode) return;
      void this.#mode
        .then(({ publish, subscriber: client }) =>
          publish === 'SPUBLISH'
            ? client.sunsubscribe(pubsubChannel)
            : client.unsubscribe(pubsubChannel),
        )
        .catch(() => {});
    };
  }

  ready(channel: string): Promise<void> {
    const sub = this.#subscriptions.get(this.#store.keys(channel).pubsub);
    return sub ? this.#ensureSubscribed(sub) : Promise.resolve();
  }

  /** The subscriptions a subscribe was started for (the ones heartbeats check). */
  watched(): Subscription[] {
    return [...this.#subscriptions.values()].filter((sub) => sub.pending !== undefined);
  }

  /**
   * A heartbeat read the channel's epoch and release mark (`WATCH`): deliver a tail pub/sub lost
   * (nothing followed it, so no jump in sequence numbers revealed it).
   */
  catchUp(sub: Subscription, epoch: string, released: number): void {
    if (sub.epoch === '' && epoch !== '') {
      sub.epoch = epoch;
      sub.lastSeq = 0;
    }
    const top = Number(released);
    if (!sub.backlog && epoch === sub.epoch && top > (sub.lastSeq ?? top)) {
      this.#refill(sub, top);
    }
  }

  /** Forget every subscription (on close); the subscriber connection is the broker's to end. */
  clear(): void {
    this.#subscriptions.clear();
  }

  #ensureSubscribed(sub: Subscription): Promise<void> {
    if (!sub.pending) {
      const k = this.#store.keys(sub.channel);
      const pending = (async () => {
        const { publish, subscriber: client } = await this.mode();
        if (sub.lastSeq === undefined) {
          // Where delivery starts: everything released after this point arrives by pub/sub or is
          // refilled from the stream, so nothing between this read and the subscribe is lost.
          const [epoch, released] = await this.#store.watch(sub.channel);
          if (sub.lastSeq === undefined) {
            sub.epoch = epoch;
            sub.lastSeq = Number(released);
          }
        }
        await (publish === 'SPUBLISH' ? client.ssubscribe(k.pubsub) : client.subscribe(k.pubsub));
      })().catch((error: unknown) => {
        if (sub.pending === pending) sub.pending = undefined;
        throw redisUnavailable(`subscribe to "${sub.channel}"`, error);
      });
      pending.catch(() => {});
      sub.pending = pending;
    }
    return sub.pending;
  }

  #decode(channel: string, payload: string): BrokerEvent {
    const raw = JSON.parse(payload) as Record<string, unknown>;
    if (raw.kind === 'message' && typeof raw.body === 'string') {
      const message = JSON.parse(raw.body) as TransportMessage;
      if (typeof raw.id === 'string') message.seq = seqOf(raw.id);
      if (typeof message?.channel !== 'string') throw new Error('not a message');
      return {
        kind: 'message',
        message,
        ...(typeof raw.epoch === 'string' ? { epoch: raw.epoch } : {}),
      };
    }
    if (
      raw.kind === 'presence' &&
      (raw.type === 'enter' || raw.type === 'update' || raw.type === 'leave') &&
      typeof raw.member === 'string'
    ) {
      const member = JSON.parse(raw.member) as TransportPresenceMember;
      return { kind: 'presence', channel, event: { type: raw.type, member } };
    }
    throw new Error('not a broker event');
  }

  readonly #onMessage = (pubsubChannel: string, payload: string): void => {
    const sub = this.#subscriptions.get(pubsubChannel);
    if (!sub) return;
    let event: BrokerEvent;
    try {
      event = this.#decode(sub.channel, payload);
    } catch {
      if (!this.#warnedMalformed) {
        this.#warnedMalformed = true;
        console.warn(
          `[patchbay] Ignoring a malformed event on Redis channel "${pubsubChannel}" (and any further ones): something other than a Patchbay hub publishes there; use another keyPrefix.`,
        );
      }
      return;
    }
    this.#receive(sub, event);
  };

  #emit(sub: Subscription, event: BrokerEvent): void {
    for (const listener of [...sub.listeners]) listener(event);
  }

  /**
   * Read messages after `sub.lastSeq` up to `upTo` back from the stream and deliver them; events
   * arriving meanwhile wait in the backlog and follow in order. Only released messages are read.
   */
  #refill(sub: Subscription, upTo: number, first: BrokerEvent[] = []): void {
    const from = (sub.lastSeq ?? 0) + 1;
    const backlog = first;
    sub.backlog = backlog;
    const epoch = sub.epoch;
    void this.#store
      .readReleased(sub.channel, from, upTo)
      .then(
        (entries) => {
          for (const [id, fields] of entries) {
            const seq = seqOf(id);
            if (seq <= (sub.lastSeq ?? 0) || fields[1] === undefined) continue;
            sub.lastSeq = seq;
            const message = { ...(JSON.parse(fields[1]) as TransportMessage), seq };
            this.#emit(sub, { kind: 'message', message, epoch });
          }
        },
        () => {
          // Redis is away again: what is missing cannot be read now; resuming clients recover it.
        },
      )
      .finally(() => {
        sub.backlog = undefined;
        sub.lastSeq = Math.max(sub.lastSeq ?? 0, upTo);
        for (const queued of backlog) this.#receive(sub, queued);
      });
  }

  /**
   * Deliver in sequence order, each message once. Pub/sub drops what is published while the
   * subscriber connection is down or its shard fails over: a jump in a channel's sequence
   * numbers means exactly that, so the missing messages are read back from the stream first.
   */
  #receive(sub: Subscription, event: BrokerEvent): void {
    if (sub.backlog) {
      sub.backlog.push(event);
      return;
    }
    const seq = event.kind === 'message' ? event.message.seq : undefined;
    if (seq === undefined) {
      this.#emit(sub, event);
      return;
    }
    if (event.kind === 'message' && event.epoch !== sub.epoch) {
      // A channel with no epoch when the subscription began starts at 0. Otherwise Redis lost
      // its data and the sequence restarted: positions of the old epoch say nothing about the
      // new one. Hub sessions see the new epoch and resynchronise from history.
      sub.lastSeq = sub.epoch === '' ? 0 : undefined;
      sub.epoch = event.epoch;
    }
    const last = sub.lastSeq;
    if (last === undefined || seq === last + 1) {
      sub.lastSeq = seq;
      this.#emit(sub, event);
      return;
    }
    // Already delivered (read back from the stream before pub/sub brought it).
    if (seq <= last) return;
    sub.lastSeq = last;
    this.#refill(sub, seq - 1, [event]);
  }
}
