import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@patchbay/realtime-core';
import type { TransportMessage, TransportPresenceMember } from '@patchbay/realtime-core/transport';
import type { Broker, BrokerEvent, HistoryPage, StoredMessage } from './broker.js';
import { HubError } from './hubError.js';
import {
  hasShardedPubSub,
  openRedisLinks,
  type RedisClient,
  type RedisConnectionOptions,
  runScript,
  script,
} from './redisConnections.js';
import {
  APPEND,
  HISTORY,
  PRESENCE_READ,
  PRESENCE_REMOVE,
  PRESENCE_REMOVE_NODES,
  PRESENCE_SET,
  RELEASE,
  WATCH,
} from './redisScripts.js';

export type { RedisConnectionOptions } from './redisConnections.js';

export interface RedisBrokerOptions extends RedisConnectionOptions {
  /** Prefix of every key and pub/sub channel, so several apps can share one Redis. Default `patchbay:`. */
  keyPrefix?: string;
  /** Messages kept per channel for recovery and history. Default 1 000. */
  historySize?: number;
  /** This process's id in presence records (letters, digits, `._:-`). Default: a random UUID. */
  nodeId?: string;
  /**
   * How long this process's presence members outlive its last heartbeat: when a process dies, the
   * others announce its members' leave within about this time. Heartbeats run every third of it.
   * On a cluster, keep it above the time a failover takes. Default 10 000 ms.
   */
  nodeTtlMs?: number;
  /**
   * `sharded`: `SPUBLISH`/`SSUBSCRIBE` (Redis ≥ 7; each shard carries its own channels' traffic,
   * which is what lets a cluster scale). `classic`: `PUBLISH`/`SUBSCRIBE`. Default `auto`: sharded
   * where the server has it.
   */
  pubsub?: 'auto' | 'sharded' | 'classic';
  /**
   * Where the channel's Redis node has replicas, a message is delivered and acknowledged only
   * once they have it (`WAIT`), so a failover to a replica loses nothing acknowledged. A message
   * they do not confirm within this time is refused with a retryable error (the client retries
   * with the same id). Default 2 000 ms.
   */
  replicaAckTimeoutMs?: number;
}

/** A broker that keeps channel state in Redis (single or Cluster) and fans out through its pub/sub. */
export interface RedisBroker extends Broker {
  readonly nodeId: string;
  /** Resolves once Redis answers; rejects (retryable `transport_error`) when it cannot be reached. */
  ping(): Promise<void>;
  /**
   * Drop the broker's connections at once, with no cleanup, as a crashed process would: heartbeats
   * stop and the other processes remove this one's presence members once its node key expires.
   * For fault injection in tests; use `close()` to shut down.
   */
  disconnect(): void;
}

const NODE_ID = /^[A-Za-z0-9._:-]+$/;

const scripts = {
  append: script(APPEND),
  release: script(RELEASE),
  history: script(HISTORY),
  presenceSet: script(PRESENCE_SET),
  presenceRemove: script(PRESENCE_REMOVE),
  presenceRemoveNodes: script(PRESENCE_REMOVE_NODES),
  presenceRead: script(PRESENCE_READ),
  watch: script(WATCH),
};

/** `"<seq>-0"` → seq. */
const seqOf = (entryId: string) => Number.parseInt(entryId, 10);

/**
 * A broker on Redis, for several hub processes behind a load balancer; a single Redis (with or
 * without replicas) or a Redis Cluster.
 *
 * - Keys: every key of a channel carries the hash tag `{<prefix><channel>}`, so one channel lives
 *   on one shard and each script runs there with all its keys in KEYS.
 * - Messages: a Redis Stream per channel, the sequence number as entry id, assigned and
 *   published by a script so every process delivers a channel's messages in sequence order.
 *   Trimming is approximate (`MAXLEN ~`); history shows exactly the last `historySize`.
 * - Durability: where the shard has replicas, a message is published and acknowledged only
 *   after `WAIT` confirms the replicas have it (`APPEND`, then `RELEASE`), so a failover never
 *   takes back a message a client saw or was told is stored.
 * - Fan-out: sharded pub/sub where the server has it, classic pub/sub otherwise. A jump in
 *   sequence numbers (pub/sub lost messages during a reconnect or failover) is refilled from the
 *   stream, and each heartbeat checks watched channels for a lost tail.
 * - Presence: a hash per channel, plus which node holds each member. Each node heartbeats its own
 *   key and removes its own members when it closes; a node that watches a channel and finds
 *   another node's key expired removes that node's members there, with a leave. Nothing sweeps
 *   channels nobody watches: their dead members go when someone next reads the members.
 * - Epochs: per channel, in the channel's slot, so a shard that lost its data gives exactly its
 *   channels a new epoch.
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
  const replicaAckTimeoutMs = Math.max(1, Math.round(options.replicaAckTimeoutMs ?? 2_000));

  let closing = false;
  let closed: Promise<void> | undefined;

  const watchConnection = (client: RedisClient, role: string) => {
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
  };

  const links = openRedisLinks(options);
  const commands = links.commands;
  if (links.ownsCommands) watchConnection(commands, 'command');

  const keys = (channel: string) => {
    const tag = `{${prefix}${channel}}`;
    return {
      seq: `${tag}:seq`,
      stream: `${tag}:stream`,
      ids: `${tag}:ids`,
      epoch: `${tag}:epoch`,
      released: `${tag}:released`,
      presence: `${tag}:presence`,
      presenceNodes: `${tag}:presence-nodes`,
      pubsub: `${tag}:ch`,
    };
  };
  const nodeKey = (id: string) => `${prefix}node:${id}`;

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

  interface PubSub {
    publish: 'SPUBLISH' | 'PUBLISH';
    subscriber: RedisClient;
  }
  let subscriber: RedisClient | undefined;
  let pubsubMode: Promise<PubSub> | undefined;
  /** Detect sharded pub/sub once (retried after a failure) and open the subscriber for it. */
  const pubsub = (): Promise<PubSub> => {
    if (!pubsubMode) {
      const pending = (async (): Promise<PubSub> => {
        const sharded =
          options.pubsub === 'sharded' ||
          (options.pubsub !== 'classic' && (await hasShardedPubSub(commands)));
        if (closing) throw new Error('the broker is closed');
        subscriber = links.openSubscriber(sharded);
        watchConnection(subscriber, 'subscriber');
        subscriber.on('smessage', onMessage);
        subscriber.on('message', onMessage);
        return { publish: sharded ? 'SPUBLISH' : 'PUBLISH', subscriber };
      })();
      pending.catch(() => {
        if (pubsubMode === pending) pubsubMode = undefined;
      });
      pubsubMode = pending;
    }
    return pubsubMode;
  };

  interface Subscription {
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
  const subscriptions = new Map<string, Subscription>();
  const ensureSubscribed = (sub: Subscription): Promise<void> => {
    if (!sub.pending) {
      const k = keys(sub.channel);
      const pending = (async () => {
        const { publish, subscriber: client } = await pubsub();
        if (sub.lastSeq === undefined) {
          // Where delivery starts: everything released after this point arrives by pub/sub or is
          // refilled from the stream, so nothing between this read and the subscribe is lost.
          const [epoch, released] = await runScript<[string, number]>(
            commands,
            scripts.watch,
            [k.epoch, k.released, k.presenceNodes],
            [],
          );
          if (sub.lastSeq === undefined) {
            sub.epoch = epoch;
            sub.lastSeq = Number(released);
          }
        }
        await (publish === 'SPUBLISH' ? client.ssubscribe(k.pubsub) : client.subscribe(k.pubsub));
      })().catch((error: unknown) => {
        if (sub.pending === pending) sub.pending = undefined;
        throw unavailable(`subscribe to "${sub.channel}"`, error);
      });
      pending.catch(() => {});
      sub.pending = pending;
    }
    return sub.pending;
  };

  let warnedMalformed = false;
  const decode = (channel: string, payload: string): BrokerEvent => {
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
  };
  function onMessage(pubsubChannel: string, payload: string) {
    const sub = subscriptions.get(pubsubChannel);
    if (!sub) return;
    let event: BrokerEvent;
    try {
      event = decode(sub.channel, payload);
    } catch {
      if (!warnedMalformed) {
        warnedMalformed = true;
        console.warn(
          `[patchbay] Ignoring a malformed event on Redis channel "${pubsubChannel}" (and any further ones): something other than a Patchbay hub publishes there; use another keyPrefix.`,
        );
      }
      return;
    }
    receive(sub, event);
  }

  const emit = (sub: Subscription, event: BrokerEvent) => {
    for (const listener of [...sub.listeners]) listener(event);
  };
  /**
   * Read messages after `sub.lastSeq` up to `upTo` back from the stream and deliver them; events
   * arriving meanwhile wait in the backlog and follow in order. Only released messages are read.
   */
  const refill = (sub: Subscription, upTo: number, first: BrokerEvent[] = []): void => {
    const from = (sub.lastSeq ?? 0) + 1;
    const backlog = first;
    sub.backlog = backlog;
    const epoch = sub.epoch;
    void commands
      .xrange(keys(sub.channel).stream, `${from}-0`, `${upTo}-0`)
      .then(
        (entries) => {
          for (const [id, fields] of entries) {
            const seq = seqOf(id);
            if (seq <= (sub.lastSeq ?? 0) || fields[1] === undefined) continue;
            sub.lastSeq = seq;
            const message = { ...(JSON.parse(fields[1]) as TransportMessage), seq };
            emit(sub, { kind: 'message', message, epoch });
          }
        },
        () => {
          // Redis is away again: what is missing cannot be read now; resuming clients recover it.
        },
      )
      .finally(() => {
        sub.backlog = undefined;
        sub.lastSeq = Math.max(sub.lastSeq ?? 0, upTo);
        for (const queued of backlog) receive(sub, queued);
      });
  };
  /**
   * Deliver in sequence order, each message once. Pub/sub drops what is published while the
   * subscriber connection is down or its shard fails over: a jump in a channel's sequence
   * numbers means exactly that, so the missing messages are read back from the stream first.
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
      // A channel with no epoch when the subscription began starts at 0. Otherwise Redis lost
      // its data and the sequence restarted: positions of the old epoch say nothing about the
      // new one. Hub sessions see the new epoch and resynchronise from history.
      sub.lastSeq = sub.epoch === '' ? 0 : undefined;
      sub.epoch = event.epoch;
    }
    const last = sub.lastSeq;
    if (last === undefined || seq === last + 1) {
      sub.lastSeq = seq;
      emit(sub, event);
      return;
    }
    // Already delivered (read back from the stream before pub/sub brought it).
    if (seq <= last) return;
    sub.lastSeq = last;
    refill(sub, seq - 1, [event]);
  };

  // Liveness: this node's heartbeat, and watched channels' tails and dead nodes -----------------

  /** This node's members, by channel, to re-assert after a missed heartbeat and remove on close. */
  const owned = new Map<string, Map<string, TransportPresenceMember>>();
  let beaten = false;
  const heartbeat = async (): Promise<void> => {
    try {
      const kept = await commands.set(nodeKey(nodeId), '1', 'PX', nodeTtlMs, 'XX');
      if (kept !== null) return;
      await commands.set(nodeKey(nodeId), '1', 'PX', nodeTtlMs);
      // The key had expired (a pause longer than the TTL, a failover): other nodes may have
      // removed this node's members, so enter them again.
      if (beaten) {
        for (const [channel, members] of owned) {
          for (const member of members.values()) await setMember(channel, member);
        }
      }
    } catch {
      // Logged by the connection's error handler; the next heartbeat tries again.
    } finally {
      beaten = true;
    }
  };
  const firstBeat = heartbeat();

  /** Which of these nodes have no heartbeat key any more. A node not known dead counts as alive. */
  const deadNodes = async (candidates: Iterable<string>): Promise<string[]> => {
    const others = [...new Set(candidates)].filter((id) => id !== nodeId);
    const alive = await Promise.all(
      others.map((id) =>
        commands.exists(nodeKey(id)).then(
          (count) => count > 0,
          () => true,
        ),
      ),
    );
    return others.filter((_, i) => !alive[i]);
  };
  const removeNodes = async (channel: string, nodes: string[]) => {
    if (nodes.length === 0) return;
    const { publish } = await pubsub();
    const k = keys(channel);
    await runScript(
      commands,
      scripts.presenceRemoveNodes,
      [k.presence, k.presenceNodes],
      [publish, k.pubsub, ...nodes],
    );
  };

  let watching = false;
  const watch = async () => {
    if (watching || closing) return;
    watching = true;
    try {
      await Promise.all(
        [...subscriptions.values()].map(async (sub) => {
          if (sub.pending === undefined) return;
          const k = keys(sub.channel);
          const [epoch, released, nodes] = await runScript<[string, number, string[]]>(
            commands,
            scripts.watch,
            [k.epoch, k.released, k.presenceNodes],
            [],
          );
          if (sub.epoch === '' && epoch !== '') {
            sub.epoch = epoch;
            sub.lastSeq = 0;
          }
          const top = Number(released);
          if (!sub.backlog && epoch === sub.epoch && top > (sub.lastSeq ?? top)) {
            refill(sub, top);
          }
          await removeNodes(sub.channel, await deadNodes(nodes));
        }),
      );
    } catch {
      // Logged by the connection's error handler; the next round tries again.
    } finally {
      watching = false;
    }
  };
  const timers = [
    setInterval(() => void heartbeat(), beatMs),
    setInterval(() => void watch(), beatMs),
  ];
  for (const timer of timers) timer.unref?.();
  const stopTimers = () => {
    for (const timer of timers) clearInterval(timer);
  };

  const setMember = async (channel: string, member: TransportPresenceMember) => {
    const { publish } = await pubsub();
    const k = keys(channel);
    return runScript<'enter' | 'update'>(
      commands,
      scripts.presenceSet,
      [k.presence, k.presenceNodes],
      [member.connectionId, JSON.stringify(member), nodeId, publish, k.pubsub],
    );
  };

  /** Wait until the channel's replicas have this connection's writes; how many confirmed. */
  const replicated = async (anchor: string, replicas: number): Promise<number> => {
    // WAIT counts the writes of the connection it runs on: pipelined with a command on the
    // channel's key, it runs on the connection (and, on a cluster, the node) that ran the script.
    const replies = await commands
      .pipeline()
      .exists(anchor)
      .call('WAIT', replicas, replicaAckTimeoutMs)
      .exec();
    const [error, count] = replies?.[1] ?? [new Error('no reply to WAIT'), 0];
    if (error) throw error;
    return Number(count);
  };

  return {
    shared: true,
    nodeId,

    async append(message) {
      const { seq: _seq, ...rest } = message as Omit<TransportMessage, 'seq'> & { seq?: number };
      const body = JSON.stringify({ ...rest, timestamp: rest.timestamp ?? Date.now() });
      const k = keys(message.channel);
      return attempt(`store a message on "${message.channel}"`, async () => {
        const { publish } = await pubsub();
        const [added, seq, stored, replicas] = await runScript<[number, number, string, number]>(
          commands,
          scripts.append,
          [k.seq, k.stream, k.ids, k.epoch, k.released],
          [message.id, body, String(historySize), randomUUID(), publish, k.pubsub],
        );
        if (Number(replicas) > 0) {
          const confirmed = await replicated(k.seq, Number(replicas));
          if (confirmed < Number(replicas)) {
            throw new HubError(
              ErrorCodes.TransportError,
              `The hub could not store a message on "${message.channel}": ${confirmed} of ${replicas} Redis replicas confirmed it within ${replicaAckTimeoutMs} ms. Retry with the same id.`,
              { retryable: true },
            );
          }
          await runScript(
            commands,
            scripts.release,
            [k.stream, k.released, k.epoch],
            [seq, publish, k.pubsub],
          );
        }
        const stored_ = { ...(JSON.parse(stored) as TransportMessage), seq: Number(seq) };
        return { message: stored_ as StoredMessage, duplicate: Number(added) === 0 };
      });
    },

    async broadcast(message) {
      const k = keys(message.channel);
      await attempt(`send on "${message.channel}"`, async () => {
        const { publish } = await pubsub();
        const payload = JSON.stringify({ kind: 'message', body: JSON.stringify(message) });
        await commands.call(publish, k.pubsub, payload);
      });
    },

    async history(channel, { afterSeq, limit } = {}): Promise<HistoryPage> {
      const first = afterSeq === undefined ? 0 : Math.max(0, Math.floor(afterSeq) + 1);
      const k = keys(channel);
      const [epoch, seq, oldestId, flat] = await attempt(`read the history of "${channel}"`, () =>
        runScript<[string, number, string, string[]]>(
          commands,
          scripts.history,
          [k.stream, k.released, k.epoch],
          [
            String(first),
            limit === undefined ? '' : String(Math.max(0, Math.floor(limit))),
            String(historySize),
            randomUUID(),
          ],
        ),
      );
      const messages: StoredMessage[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const body = JSON.parse(flat[i + 1] as string) as StoredMessage;
        messages.push({ ...body, seq: seqOf(flat[i] as string) });
      }
      return {
        messages,
        seq: Number(seq),
        epoch,
        ...(oldestId ? { oldestSeq: seqOf(oldestId) } : {}),
      };
    },

    async clearHistory(channel) {
      // The sequence counter stays: positions keep growing, and a client resuming from before the
      // clear finds no `oldestSeq` to recover from, so it is told about the discontinuity.
      const k = keys(channel);
      await attempt(`clear the history of "${channel}"`, () => commands.del(k.stream, k.ids));
    },

    async presenceSet(channel, member) {
      await firstBeat;
      const mine = owned.get(channel) ?? new Map<string, TransportPresenceMember>();
      owned.set(channel, mine);
      mine.set(member.connectionId, member);
      return attempt(`set presence on "${channel}"`, () => setMember(channel, member));
    },

    async presenceRemove(channel, connectionId) {
      const mine = owned.get(channel);
      mine?.delete(connectionId);
      if (mine?.size === 0) owned.delete(channel);
      const k = keys(channel);
      const member = await attempt(`remove presence on "${channel}"`, async () => {
        const { publish } = await pubsub();
        return runScript<string | null>(
          commands,
          scripts.presenceRemove,
          [k.presence, k.presenceNodes],
          [connectionId, publish, k.pubsub],
        );
      });
      return member ? (JSON.parse(member) as TransportPresenceMember) : undefined;
    },

    async presenceMembers(channel) {
      const k = keys(channel);
      return attempt(`read presence on "${channel}"`, async () => {
        const [members, nodes] = await runScript<[string[], string[]]>(
          commands,
          scripts.presenceRead,
          [k.presence, k.presenceNodes],
          [],
        );
        const nodeOf = new Map<string, string>();
        for (let i = 0; i + 1 < nodes.length; i += 2) {
          nodeOf.set(nodes[i] as string, nodes[i + 1] as string);
        }
        const dead = new Set(await deadNodes(nodeOf.values()));
        if (dead.size > 0) await removeNodes(channel, [...dead]);
        const present: TransportPresenceMember[] = [];
        for (let i = 0; i + 1 < members.length; i += 2) {
          const node = nodeOf.get(members[i] as string);
          if (node === undefined || !dead.has(node)) {
            present.push(JSON.parse(members[i + 1] as string) as TransportPresenceMember);
          }
        }
        return present;
      });
    },

    subscribe(channel, listener) {
      const pubsubChannel = keys(channel).pubsub;
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
        void ensureSubscribed(sub).catch(() => {});
      }
      const current = sub;
      current.listeners.add(listener);
      return () => {
        current.listeners.delete(listener);
        if (current.listeners.size > 0 || subscriptions.get(pubsubChannel) !== current) return;
        subscriptions.delete(pubsubChannel);
        if (closing || !pubsubMode) return;
        void pubsubMode
          .then(({ publish, subscriber: client }) =>
            publish === 'SPUBLISH'
              ? client.sunsubscribe(pubsubChannel)
              : client.unsubscribe(pubsubChannel),
          )
          .catch(() => {});
      };
    },

    ready(channel) {
      const sub = subscriptions.get(keys(channel).pubsub);
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
      if (links.ownsCommands) commands.disconnect();
      subscriber?.disconnect();
    },

    close() {
      closed ??= (async () => {
        stopTimers();
        try {
          // Leave cleanly: this process's members go now (with a leave) rather than at expiry.
          // Without a connection, skip it: the members expire with the node key instead.
          if (commands.status !== 'ready') throw new Error('Redis is not connected');
          await Promise.all([...owned.keys()].map((channel) => removeNodes(channel, [nodeId])));
          await commands.del(nodeKey(nodeId));
        } catch {
          // Redis is away: the members expire with the node key instead.
        }
        owned.clear();
        closing = true;
        subscriptions.clear();
        const quit = (client: RedisClient) =>
          client.status === 'ready'
            ? client.quit().then(
                () => undefined,
                () => client.disconnect(),
              )
            : client.disconnect();
        await Promise.all([
          ...(subscriber ? [quit(subscriber)] : []),
          ...(links.ownsCommands ? [quit(commands)] : []),
        ]);
      })();
      return closed;
    },
  };
}
