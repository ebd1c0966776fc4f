import { createHash } from 'node:crypto';
import { ErrorCodes } from '@patchbay/realtime-core';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { HubError } from './hubError.js';

/** Where the Redis broker connects: one of `client`, `cluster`, `url` (or ioredis' default). */
export interface RedisConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]` (or `rediss://`). Add `?cluster=true` to treat it
   * as a seed node of a Redis Cluster (how the CLI's `--redis` reaches a cluster). Default:
   * ioredis' default, 127.0.0.1:6379.
   */
  url?: string;
  /** ioredis options, applied over the broker's defaults (and over `url`); per node on a cluster. */
  redis?: RedisOptions;
  /** Seed nodes of a Redis Cluster (`host:port` strings or `{ host, port }`); the rest are discovered. */
  cluster?: ReadonlyArray<string | ClusterNode>;
  /** ioredis cluster options, applied over the broker's defaults, with `cluster`. */
  clusterOptions?: ClusterOptions;
  /**
   * The app's own ioredis `Redis` or `Cluster`. The broker runs its commands on it and opens one
   * duplicate for pub/sub; `close()` closes that duplicate and leaves the app's client open.
   */
  client?: Redis | Cluster;
}

/**
 * Defaults for the connections the broker opens, chosen so a hub fails fast and clearly when
 * Redis is away instead of holding requests forever:
 * - `enableOfflineQueue: true` lets commands issued while connecting (at startup, during a short
 *   blip) wait for the connection instead of failing at once;
 * - `maxRetriesPerRequest: 1` bounds that wait: a queued or in-flight command fails after one
 *   unsuccessful reconnect attempt (ioredis' default of 20 would hold a client's request for a
 *   minute), and the hub answers it with a retryable error the client retries with backoff;
 * - `retryStrategy` keeps reconnecting forever with a short capped backoff, so the hub heals by
 *   itself once Redis is back;
 * - `connectTimeout` / `commandTimeout` (command connection only) cover a silent network, where
 *   the socket stays open but nothing answers.
 * On a cluster the same bounds apply per node, and ioredis follows failovers (`MOVED`, a new
 * slot map) by itself.
 */
const DEFAULTS: RedisOptions = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
};

export type RedisClient = Redis | Cluster;

/** The broker's command connection, and how to open its pub/sub one (a subscribed connection runs nothing else). */
export interface RedisLinks {
  readonly commands: RedisClient;
  readonly isCluster: boolean;
  /** Whether `commands` was opened by the broker (and so is closed by it). */
  readonly ownsCommands: boolean;
  /**
   * Open the pub/sub connection. `sharded`: whether it subscribes to shard channels; on a
   * cluster, ioredis then keeps one subscriber per primary (`shardedSubscribers`).
   */
  openSubscriber(sharded: boolean): RedisClient;
}

const enabled = (value: string | null) =>
  value !== null && ['1', 'true', 'yes'].includes(value.toLowerCase());

const parseNode = (node: string | ClusterNode): ClusterNode => {
  if (typeof node !== 'string') return node;
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/** Open the broker's command connection (or adopt the app's). */
export function openRedisLinks(options: RedisConnectionOptions): RedisLinks {
  // The scripts' replies are read in ioredis' default ("legacy") shapes.
  const nodeOptions = { ...DEFAULTS, ...options.redis, replyMapping: 'legacy' as const };
  const clusterSubscriber = (commands: Cluster) => (sharded: boolean) =>
    commands.duplicate(undefined, { shardedSubscribers: sharded });
  if (options.client) {
    const client = options.client;
    if (client instanceof Cluster) {
      return {
        commands: client,
        isCluster: true,
        ownsCommands: false,
        openSubscriber: clusterSubscriber(client),
      };
    }
    return {
      commands: client,
      isCluster: false,
      ownsCommands: false,
      openSubscriber: () => client.duplicate(),
    };
  }
  let seeds = options.cluster?.map(parseNode);
  let fromUrl: RedisOptions = {};
  if (!seeds && options.url) {
    const url = new URL(options.url);
    if (enabled(url.searchParams.get('cluster'))) {
      seeds = [{ host: url.hostname, port: Number(url.port || 6379) }];
      fromUrl = {
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      };
    }
  }
  if (seeds) {
    const { retryStrategy, enableOfflineQueue, ...perNode } = nodeOptions;
    const commands = new Cluster(seeds, {
      enableOfflineQueue,
      clusterRetryStrategy: retryStrategy ?? null,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      ...options.clusterOptions,
      redisOptions: {
        ...perNode,
        ...fromUrl,
        commandTimeout: 5_000,
        ...options.clusterOptions?.redisOptions,
        replyMapping: 'legacy' as const,
      },
    });
    return {
      commands,
      isCluster: true,
      ownsCommands: true,
      openSubscriber: clusterSubscriber(commands),
    };
  }
  const open = (settings: RedisOptions) => {
    const legacy = { ...settings, replyMapping: 'legacy' as const };
    return options.url ? new Redis(options.url, legacy) : new Redis(legacy);
  };
  return {
    commands: open({ ...nodeOptions, commandTimeout: 5_000, ...options.redis }),
    isCluster: false,
    ownsCommands: true,
    openSubscriber: () => open(nodeOptions),
  };
}

/** A Lua script run by `EVALSHA`, loaded with `EVAL` where the node does not know it yet. */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

export const script = (lua: string): RedisScript => ({
  lua,
  sha: createHash('sha1').update(lua).digest('hex'),
});

export async function runScript<TReply>(
  client: RedisClient,
  { lua, sha }: RedisScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<TReply> {
  try {
    return (await client.evalsha(sha, keys.length, ...keys, ...args)) as TReply;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await client.eval(lua, keys.length, ...keys, ...args)) as TReply;
  }
}

/** Whether the server has sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis ≥ 7). */
export async function hasShardedPubSub(client: RedisClient): Promise<boolean> {
  const info = await client.info('server');
  const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? '0');
  return major >= 7;
}

/** What a failed Redis call becomes: a retryable `transport_error` (a `HubError` passes as is). */
export const redisUnavailable = (action: string, error: unknown): HubError =>
  error instanceof HubError
    ? error
    : new HubError(
        ErrorCodes.TransportError,
        `The hub could not ${action}: Redis did not answer (${error instanceof Error ? error.message : String(error)}). Retry once Redis is reachable.`,
        { cause: error, retryable: true },
      );

/** Run `run`, turning its failure into `redisUnavailable(action, …)`. */
export const attemptRedis = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    throw redisUnavailable(action, error);
  }
};
