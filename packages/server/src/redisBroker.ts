import { randomUUID } from 'node:crypto';
import {
  ErrorCodes,
  type TransportMessage,
  type TransportPresenceMember,
} from '@patchbay/realtime-core';
import { Redis, type RedisOptions } from 'ioredis';
import type { Broker, BrokerEvent, HistoryPage, StoredMessage } from './broker.js';
import { HubError } from './hubError.js';
import {
  APPEND,
  HISTORY,
  PRESENCE_REMOVE,
  PRESENCE_SET,
  PRESENCE_SWEEP,
  type Scripts,
} from './redisScripts.js';

export interface RedisBrokerOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). Default: ioredis' default, 127.0.0.1:6379. */
  url?: string;
  /** ioredis options, applied over the broker's defaults (and over `url`). */
  redis?: RedisOptions;
  /** Prefix of every key and pub/sub channel, so several apps can share one Redis. Default `patchbay:`. */
  keyPrefix?: string;
  /** Messages kept per channel for recovery and history. Default 1 000. */
  historySize?: number;
  /** This process's id in presence records (letters, digits, `._:-`). Default: a random UUID. */
  nodeId?: string;
  /**
   * How long this process's presence members outlive its last heartbeat: when a process dies, the
   * others announce its members' leave within about this time. Heartbeats run every third of it.
   * Default 10 000 ms.
   */
  nodeTtlMs?: number;
}

/** A broker that keeps channel state in Redis and fans out through Redis pub/sub. */
export interface RedisBroker extends Broker {
  readonly nodeId: string;
  /** Resolves once Redis answers; rejects (retryable `transport_error`) when it cannot be reached. */
  ping(): Promise<void>;
  /**
   * Drop both connections at once, with no cleanup, as a crashed process would: heartbeats stop
   * and the other processes remove this one's presence members once its node key expires. For
   * fault injection in tests; use `close()` to shut down.
   */
  disconnect(): void;
}

const NODE_ID = /^[A-Za-z0-9._:-]+$/;

/**
 * Defaults for both connections, chosen so a hub fails fast and clearly when Redis is away
 * instead of holding requests forever:
 * - `enableOfflineQueue: true` lets commands issued while connecting (at startup, during a short
 *   blip) wait for the connection instead of failing at once;
 * - `maxRetriesPerRequest: 1` bounds that wait: a queued or in-flight command fails after one
 *   unsuccessful reconnect attempt (ioredis' default of 20 would hold a client's request for a
 *   minute), and the hub answers it with a retryable error the client retries with backoff;
 * - `retryStrategy` keeps reconnecting forever with a short capped backoff, so the hub heals by
 *   itself once Redis is back;
 * - `connectTimeout` / `commandTimeout` (command connection only) cover a silent network, where
 *   the socket stays open but nothing answers.
 */
const DEFAULTS: RedisOptions = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
};

/**
 * A broker on Redis, for several hub processes behind a load balancer. Sequence numbers and
 * history live in one Redis Stream per channel, assigned and published atomically by a Lua
 * script, so every process delivers a channel's messages in sequence order. Presence is a hash
 * per channel shared by every process; each process heartbeats a node key, and members of a
 * process whose key expired (it crashed) are removed, with a `leave`, by the survivors. The
 * epoch lives in Redis too, so a client resuming on another process, or after a restart, recovers
 * exactly what it missed as long as Redis keeps its data.
 *
 * Standalone Redis (or a primary with replicas): the scripts touch keys they are not given, so
 * Redis Cluster is not supported.
 */
export function createRedisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  const prefix = options.keyPrefix ?? 'patchbay:';
  const historySize = options.historySize ?? 1_000;
  if (!Number.isInteger(historySize) || historySize < 0) {
    throw new TypeError(`historySize must be an integer ≥ 0; got ${historySize}.`);
  }
  const nodeId = options.nodeId ?? randomUUID();
  if (!NODE_ID.test(nodeId)) {
    throw new TypeError(
      `nodeId may only contain letters, digits and "._:-"; got ${JSON.stringify(nodeId)}.`,
    );
  }
  const nodeTtlMs = Math.max(30, Math.round(options.nodeTtlMs ?? 10_000));
  const beatMs = Math.max(10, Math.floor(nodeTtlMs / 3));

  const connect = (role: string, extra: RedisOptions): Redis => {
    // The scripts' replies are read in ioredis' default ("legacy") shapes.
    const settings = { ...DEFAULTS, ...extra, ...options.redis, replyMapping: 'legacy' as const };
    const client = options.url ? new Redis(options.url, settings) : new Redis(settings);
    // One line per outage, not one per reconnect attempt.
    let down = false;
    client.on('error', (error: Error) => {
      if (down || closing) return;
      down = true;
      console.warn(
        `[patchbay] Redis ${role} connection failed (${error.message}); the hub keeps retrying, and requests fail with a retryable error until Redis is back.`,
      );
    });
    client.on('ready', () => {
      if (!down) return;
      down = false;
      console.warn(`[patchbay] Redis ${role} connection restored.`);
    });
    return client;
  };

  let closing = false;
  let closed: Promise<void> | undefined;
  const commands = connect('command', { commandTimeout: 5_000 });
  // A connection in subscriber mode cannot run other commands: pub/sub gets its own.
  const subscriber = connect('subscriber', {});
  commands.defineCommand('pbAppend', { numberOfKeys: 4, lua: APPEND });
  commands.defineCommand('pbHistory', { numberOfKeys: 3, lua: HISTORY });
  commands.defineCommand('pbPresenceSet', { numberOfKeys: 3, lua: PRESENCE_SET });
  commands.defineCommand('pbPresenceRemove', { numberOfKeys: 2, lua: PRESENCE_REMOVE });
  commands.defineCommand('pbPresenceSweep', { numberOfKeys: 2, lua: PRESENCE_SWEEP });
  const scripts = commands as unknown as Scripts;

  const key = {
    seq: (channel: string) => `${prefix}seq:${channel}`,
    stream: (channel: string) => `${prefix}stream:${channel}`,
    ids: (channel: string) => `${prefix}ids:${channel}`,
    presence: (channel: string) => `${prefix}presence:${channel}`,
    pubsub: (channel: string) => `${prefix}ch:${channel}`,
    epoch: `${prefix}epoch`,
    presenceChannels: `${prefix}presence-channels`,
    nodePrefix: `${prefix}node:`,
    node: `${prefix}node:${nodeId}`,
  };
  const leavePrefix = (channel: string) =>
    `{"kind":"presence","channel":${JSON.stringify(channel)},"event":{"type":"leave","member":`;
  const presenceEvent = (channel: string, type: 'enter' | 'update', member: string) =>
    `{"kind":"presence","channel":${JSON.stringify(channel)},"event":{"type":"${type}","member":${member}}}`;

  const unavailable = (action: string, error: unknown): HubError =>
    error instanceof HubError
      ? error
      : new HubError(
          ErrorCodes.TransportError,
          `The hub could not ${action}: Redis did not answer (${error instanceof Error ? error.message : String(error)}). Retry once Redis is reachable.`,
          { cause: error, retryable: true },
        );
  const attempt = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw unavailable(action, error);
    }
  };

  // Pub/sub --------------------------------------------------------------------------------------

  interface Subscription {
    channel: string;
    listeners: Set<(event: BrokerEvent) => void>;
    /** The SUBSCRIBE in flight or done; reset after a failure so the next `ready()` retries. */
    pending: Promise<void> | undefined;
    /** The last sequence number delivered, to notice messages pub/sub lost during a reconnect. */
    lastSeq: number | undefined;
    /** The epoch of `lastSeq`: a new one (Redis lost its data) starts the count again. */
    epoch: string | undefined;
    /** While missing messages are read back from the stream, later events wait here, in order. */
    backlog: BrokerEvent[] | undefined;
  }
  const subscriptions = new Map<string, Subscription>();
  const ensureSubscribed = (sub: Subscription): Promise<void> => {
    if (!sub.pending) {
      const pending = subscriber.subscribe(key.pubsub(sub.channel)).then(
        () => undefined,
        (error: unknown) => {
          if (sub.pending === pending) sub.pending = undefined;
          throw unavailable(`subscribe to "${sub.channel}"`, error);
        },
      );
      pending.catch(() => {});
      sub.pending = pending;
    }
    return sub.pending;
  };
  let warnedMalformed = false;
  subscriber.on('message', (pubsub: string, payload: string) => {
    const sub = subscriptions.get(pubsub);
    if (!sub) return;
    let event: BrokerEvent;
    try {
      event = JSON.parse(payload) as BrokerEvent;
      if (
        (event.kind !== 'message' || typeof event.message?.channel !== 'string') &&
        (event.kind !== 'presence' || typeof event.event?.type !== 'string')
      ) {
        throw new Error('not a broker event');
      }
    } catch {
      if (!warnedMalformed) {
        warnedMalformed = true;
        console.warn(
          `[patchbay] Ignoring a malformed event on Redis channel "${pubsub}" (and any further ones): something other than a Patchbay hub publishes there; use another keyPrefix.`,
        );
      }
      return;
    }
    receive(sub, event);
  });

  const emit = (sub: Subscription, event: BrokerEvent) => {
    for (const listener of [...sub.listeners]) listener(event);
  };
  /**
   * Deliver in sequence order. Pub/sub drops what is published while the subscriber connection
   * is down (ioredis resubscribes when it is back): a jump in a channel's sequence numbers means
   * exactly that, so the missing messages are read back from the stream before going on.
   */
  const receive = (sub: Subscription, event: BrokerEvent): void => {
    if (sub.backlog) {
      sub.backlog.push(event);
      return;
    }
    const seq = event.kind === 'message' ? event.message.seq : undefined;
    if (seq === undefined) {
      emit(sub, event);
      return;
    }
    if (event.kind === 'message' && event.epoch !== sub.epoch) {
      // Redis lost its data and the sequence restarted: positions of the old epoch say nothing
      // about the new one. Hub sessions see the new epoch and resynchronise from history.
      sub.epoch = event.epoch;
      sub.lastSeq = undefined;
    }
    const last = sub.lastSeq;
    // Below the last one in the same epoch: Redis went back to older data; follow it.
    if (last === undefined || seq <= last + 1) {
      sub.lastSeq = seq;
      emit(sub, event);
      return;
    }
    const backlog: BrokerEvent[] = [event];
    sub.backlog = backlog;
    void commands
      .xrange(key.stream(sub.channel), `${last + 1}-0`, `${seq - 1}-0`)
      .then(
        (entries) => {
          for (const [, fields] of entries) {
            const missed = JSON.parse(fields[1] ?? 'null') as StoredMessage | null;
            if (missed && missed.seq > (sub.lastSeq ?? 0)) {
              sub.lastSeq = missed.seq;
              emit(sub, { kind: 'message', message: missed, epoch: sub.epoch });
            }
          }
        },
        () => {
          // Redis is away again: what is missing cannot be read now; resuming clients recover it.
        },
      )
      .finally(() => {
        sub.backlog = undefined;
        // Everything after the gap, in order (a further gap starts another read).
        sub.lastSeq = Math.max(sub.lastSeq ?? 0, seq - 1);
        for (const queued of backlog) receive(sub, queued);
      });
  };

  // Presence liveness ------------------------------------------------------------------------------

  const heartbeat = () =>
    commands.set(key.node, '1', 'PX', nodeTtlMs).then(
      () => undefined,
      () => undefined, // logged by the connection's error handler
    );
  const sweepChannel = (channel: string, removeNode = '') =>
    scripts.pbPresenceSweep(
      key.presence(channel),
      key.presenceChannels,
      channel,
      key.pubsub(channel),
      leavePrefix(channel),
      key.nodePrefix,
      removeNode,
    );
  let sweeping = false;
  const sweepAll = async () => {
    if (sweeping || closing) return;
    sweeping = true;
    try {
      const channels = await commands.smembers(key.presenceChannels);
      await Promise.all(channels.map((channel) => sweepChannel(channel)));
    } catch {
      // Logged by the connection's error handler; the next sweep tries again.
    } finally {
      sweeping = false;
    }
  };
  void heartbeat();
  const timers = [setInterval(heartbeat, beatMs), setInterval(sweepAll, beatMs)];
  for (const timer of timers) timer.unref?.();
  const stopTimers = () => {
    for (const timer of timers) clearInterval(timer);
  };

  const parseMember = (json: string) => JSON.parse(json) as TransportPresenceMember;

  return {
    nodeId,

    async append(message) {
      const { seq: _seq, ...rest } = message as Omit<TransportMessage, 'seq'> & { seq?: number };
      const body = JSON.stringify({ ...rest, timestamp: rest.timestamp ?? Date.now() });
      const [added, stored] = await attempt(`store a message on "${message.channel}"`, () =>
        scripts.pbAppend(
          key.seq(message.channel),
          key.stream(message.channel),
          key.ids(message.channel),
          key.epoch,
          message.id,
          body,
          String(historySize),
          key.pubsub(message.channel),
          randomUUID(),
        ),
      );
      return { message: JSON.parse(stored) as StoredMessage, duplicate: Number(added) === 0 };
    },

    async broadcast(message) {
      await attempt(`send on "${message.channel}"`, () =>
        commands.publish(key.pubsub(message.channel), JSON.stringify({ kind: 'message', message })),
      );
    },

    async history(channel, { afterSeq, limit } = {}): Promise<HistoryPage> {
      const first = afterSeq === undefined ? '-' : `${Math.max(0, Math.floor(afterSeq) + 1)}-0`;
      const [epoch, seq, oldestId, messages] = await attempt(
        `read the history of "${channel}"`,
        () =>
          scripts.pbHistory(
            key.seq(channel),
            key.stream(channel),
            key.epoch,
            first,
            limit === undefined ? '' : String(Math.max(0, Math.floor(limit))),
            randomUUID(),
          ),
      );
      const oldestSeq = oldestId ? Number.parseInt(oldestId, 10) : undefined;
      return {
        messages: messages.map((json) => JSON.parse(json) as StoredMessage),
        seq: Number(seq),
        epoch,
        ...(oldestSeq !== undefined ? { oldestSeq } : {}),
      };
    },

    async clearHistory(channel) {
      // The sequence counter stays: positions keep growing, and a client resuming from before the
      // clear finds no `oldestSeq` to recover from, so it is told about the discontinuity.
      await attempt(`clear the history of "${channel}"`, () =>
        commands.del(key.stream(channel), key.ids(channel)),
      );
    },

    async presenceSet(channel, member) {
      const json = JSON.stringify(member);
      return attempt(`set presence on "${channel}"`, () =>
        scripts.pbPresenceSet(
          key.presence(channel),
          key.presenceChannels,
          key.node,
          member.connectionId,
          `{"nodeId":"${nodeId}","member":${json}}`,
          channel,
          key.pubsub(channel),
          presenceEvent(channel, 'enter', json),
          presenceEvent(channel, 'update', json),
          String(nodeTtlMs),
        ),
      );
    },

    async presenceRemove(channel, connectionId) {
      const member = await attempt(`remove presence on "${channel}"`, () =>
        scripts.pbPresenceRemove(
          key.presence(channel),
          key.presenceChannels,
          connectionId,
          channel,
          key.pubsub(channel),
          leavePrefix(channel),
        ),
      );
      return member ? parseMember(member) : undefined;
    },

    async presenceMembers(channel) {
      const members = await attempt(`read presence on "${channel}"`, () => sweepChannel(channel));
      return members.map(parseMember);
    },

    subscribe(channel, listener) {
      const pubsub = key.pubsub(channel);
      let sub = subscriptions.get(pubsub);
      if (!sub) {
        sub = {
          channel,
          listeners: new Set(),
          pending: undefined,
          lastSeq: undefined,
          epoch: undefined,
          backlog: undefined,
        };
        subscriptions.set(pubsub, sub);
        void ensureSubscribed(sub).catch(() => {});
      }
      const current = sub;
      current.listeners.add(listener);
      return () => {
        current.listeners.delete(listener);
        if (current.listeners.size > 0 || subscriptions.get(pubsub) !== current) return;
        subscriptions.delete(pubsub);
        if (!closing) void subscriber.unsubscribe(pubsub).catch(() => {});
      };
    },

    ready(channel) {
      const sub = subscriptions.get(key.pubsub(channel));
      return sub ? ensureSubscribed(sub) : Promise.resolve();
    },

    async ping() {
      await attempt('reach Redis', () => commands.ping());
    },

    disconnect() {
      closing = true;
      closed ??= Promise.resolve();
      stopTimers();
      subscriptions.clear();
      commands.disconnect();
      subscriber.disconnect();
    },

    close() {
      closed ??= (async () => {
        stopTimers();
        try {
          // Leave cleanly: this process's members go now (with a leave) rather than at expiry.
          // Without a connection, skip it: the members expire with the node key instead.
          if (commands.status !== 'ready') throw new Error('Redis is not connected');
          const channels = await commands.smembers(key.presenceChannels);
          await Promise.all(channels.map((channel) => sweepChannel(channel, nodeId)));
          await commands.del(key.node);
        } catch {
          // Redis is away: the members expire with the node key instead.
        }
        closing = true;
        subscriptions.clear();
        await Promise.all(
          [commands, subscriber].map((client) =>
            client.status === 'ready'
              ? client.quit().then(
                  () => undefined,
                  () => client.disconnect(),
                )
              : client.disconnect(),
          ),
        );
      })();
      return closed;
    },
  };
}
