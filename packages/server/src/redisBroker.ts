import { randomUUID } from 'node:crypto';
import type { TransportMessage } from '@patchbay/realtime-core/transport';
import type { Broker, HistoryPage } from './broker.js';
import {
  attemptRedis as attempt,
  openRedisLinks,
  type RedisClient,
  type RedisConnectionOptions,
} from './redisConnections.js';
import { RedisPresence } from './redisPresence.js';
import { RedisPubSub } from './redisPubSub.js';
import { historyPage, RedisStore } from './redisStore.js';

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
 *
 * This function checks the options and wires the parts: the storage calls (`redisStore.ts`),
 * the receive path (`redisPubSub.ts`), presence and node liveness (`redisPresence.ts`).
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

  const store = new RedisStore(commands, { prefix, historySize, replicaAckTimeoutMs });
  const pubsub = new RedisPubSub({
    links,
    store,
    mode: options.pubsub,
    isClosing: () => closing,
    watchConnection,
  });
  const presence = new RedisPresence({ commands, store, pubsub, nodeId, nodeTtlMs });
  const firstBeat = presence.heartbeat();

  // Each heartbeat also checks the watched channels: a tail pub/sub lost, and dead nodes' members.
  let watching = false;
  const watch = async () => {
    if (watching || closing) return;
    watching = true;
    try {
      await Promise.all(
        pubsub.watched().map(async (sub) => {
          const [epoch, released, nodes] = await store.watch(sub.channel);
          pubsub.catchUp(sub, epoch, released);
          await presence.removeDead(sub.channel, nodes);
        }),
      );
    } catch {
      // Logged by the connection's error handler; the next round tries again.
    } finally {
      watching = false;
    }
  };
  const timers = [
    setInterval(() => void presence.heartbeat(), beatMs),
    setInterval(() => void watch(), beatMs),
  ];
  for (const timer of timers) timer.unref?.();
  const stopTimers = () => {
    for (const timer of timers) clearInterval(timer);
  };

  return {
    shared: true,
    nodeId,

    async append(message) {
      const { seq: _seq, ...rest } = message as Omit<TransportMessage, 'seq'> & { seq?: number };
      const body = JSON.stringify({ ...rest, timestamp: rest.timestamp ?? Date.now() });
      return attempt(`store a message on "${message.channel}"`, async () => {
        const { publish } = await pubsub.mode();
        return store.append(message.channel, message.id, body, publish);
      });
    },

    async broadcast(message) {
      await attempt(`send on "${message.channel}"`, async () => {
        const { publish } = await pubsub.mode();
        await store.broadcast(message, publish);
      });
    },

    async history(channel, { afterSeq, limit } = {}): Promise<HistoryPage> {
      const first = afterSeq === undefined ? 0 : Math.max(0, Math.floor(afterSeq) + 1);
      const reply = await attempt(`read the history of "${channel}"`, () =>
        store.history(channel, first, limit),
      );
      return historyPage(reply);
    },

    async clearHistory(channel) {
      // The sequence counter stays: positions keep growing, and a client resuming from before the
      // clear finds no `oldestSeq` to recover from, so it is told about the discontinuity.
      await attempt(`clear the history of "${channel}"`, () => store.clearHistory(channel));
    },

    async presenceSet(channel, member) {
      await firstBeat;
      return presence.set(channel, member);
    },

    presenceRemove: (channel, connectionId) => presence.remove(channel, connectionId),

    presenceMembers: (channel) => presence.members(channel),

    subscribe: (channel, listener) => pubsub.subscribe(channel, listener),

    ready: (channel) => pubsub.ready(channel),

    async ping() {
      await attempt('reach Redis', () => commands.ping());
    },

    disconnect() {
      closing = true;
      closed ??= Promise.resolve();
      stopTimers();
      pubsub.clear();
      if (links.ownsCommands) commands.disconnect();
      pubsub.subscriber?.disconnect();
    },

    close() {
      closed ??= (async () => {
        stopTimers();
        await presence.leave();
        closing = true;
        pubsub.clear();
        const quit = (client: RedisClient) =>
          client.status === 'ready'
            ? client.quit().then(
                () => undefined,
                () => client.disconnect(),
              )
            : client.disconnect();
        const subscriber = pubsub.subscriber;
        await Promise.all([
          ...(subscriber ? [quit(subscriber)] : []),
          ...(links.ownsCommands ? [quit(commands)] : []),
        ]);
      })();
      return closed;
    },
  };
}
