import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:port` */
  readonly url: string;
  /** Whether the process still runs. */
  readonly alive: boolean;
}

export interface RedisClusterHandle {
  /** Every node, primaries and replicas, in start order. */
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:port` of every node, for a cluster client's seed list. */
  readonly seeds: readonly string[];
  /** A seed URL with `?cluster=true` (what `createRedisBroker({ url })` and the hub CLI take). */
  readonly url: string;
  /** The primary serving `key`'s slot now, and its replica (if one is up). */
  shardOf(key: string): Promise<{ primary: number; replica: number | undefined }>;
  /** Kill one node as a crash would (SIGKILL). Resolves once it exited. */
  kill(port: number): Promise<void>;
  /**
   * Make `replica` a primary after its primary died: waits up to `automaticMs` (default 10 000)
   * for the cluster's own failover, then forces it with `CLUSTER FAILOVER TAKEOVER`. Resolves
   * with which of the two happened, once every live node reports `cluster_state:ok`.
   */
  promote(replica: number, options?: { automaticMs?: number }): Promise<'automatic' | 'takeover'>;
  /** Stop every node and remove their files. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Primaries (each gets one replica). Default 3. */
  primaries?: number;
  /** How long a node may be unreachable before the cluster fails it over. Default 1 000 ms. */
  nodeTimeoutMs?: number;
  /** The binaries. Default: `REDIS_SERVER` / `REDIS_CLI` from the environment, else on PATH. */
  binary?: string;
  cli?: string;
  /** How long to wait for the cluster to form. Default 30 000 ms. */
  timeoutMs?: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Start a private Redis Cluster on free loopback ports: `primaries` primaries, one replica each,
 * nothing kept on disk but the nodes' cluster files in a temporary directory. For failover tests:
 * `shardOf` finds where a key lives, `kill` crashes a node, `promote` brings its replica up.
 * Stop it in the test.
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisClusterHandle> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? 'redis-server';
  const cliBinary = options.cli ?? process.env.REDIS_CLI ?? 'redis-cli';
  const count = (options.primaries ?? 3) * 2;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-redis-cluster-'));

  const cli = (port: number, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        cliBinary,
        ['-h', '127.0.0.1', '-p', String(port), ...args],
        { timeout: 10_000 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`${cliBinary} ${args.join(' ')}: ${stderr || error.message}`))
            : resolve(stdout),
      );
    });

  interface Running {
    port: number;
    child: ChildProcess;
    exited: Promise<void>;
    alive: boolean;
  }
  const running: Running[] = [];
  const stopAll = async () => {
    await Promise.all(
      running.map(async (node) => {
        if (!node.alive) return;
        node.child.kill('SIGKILL');
        await node.exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };

  const until = async (what: string, check: () => Promise<boolean>, limit = deadline) => {
    for (let tries = 0; Date.now() < limit && tries < 10_000; tries++) {
      if (await check().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`Redis Cluster: timed out waiting for ${what}.`);
  };

  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const child = spawn(
        binary,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 1_000),
          '--dir',
          dir,
          '--appendonly',
          'no',
          '--save',
          '',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      );
      const node: Running = { port, child, alive: true, exited: Promise.resolve() };
      node.exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      }).then(() => {
        node.alive = false;
      });
      running.push(node);
    }
    for (const node of running) {
      await until(`127.0.0.1:${node.port} to answer`, async () => {
        if (!node.alive) throw new Error(`${binary} on ${node.port} exited`);
        return (await cli(node.port, 'PING')).trim() === 'PONG';
      });
    }
    await cli(
      running[0]!.port,
      '--cluster',
      'create',
      ...running.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    );
    await until('cluster_state:ok and every replica in sync', async () => {
      for (const node of running) {
        if (!(await cli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const replication = await cli(node.port, 'INFO', 'replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) {
          return false;
        }
      }
      return true;
    });
  } catch (error) {
    await stopAll();
    throw new Error(
      `Could not start a Redis Cluster (${binary}, ${cliBinary}): ${(error as Error).message}. Install Redis (Debian: apt-get install redis-server redis-tools) or set REDIS_SERVER / REDIS_CLI.`,
      { cause: error },
    );
  }

  const live = () => running.filter((node) => node.alive);
  /** `CLUSTER NODES` from a live node: id, port, role, primary id, state flags, slots. */
  const topology = async () => {
    const text = await cli(live()[0]!.port, 'CLUSTER', 'NODES');
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, primaryId, , , , , ...slots] = line.split(' ');
        return {
          id: id ?? '',
          port: Number(/:(\d+)@/.exec(address ?? '')?.[1] ?? '0'),
          flags: (flags ?? '').split(','),
          primaryId: primaryId ?? '-',
          slots,
        };
      });
  };
  const owns = (slots: string[], slot: number) =>
    slots.some((range) => {
      const [from, to] = range.split('-').map(Number);
      return from !== undefined && slot >= from && slot <= (to ?? from);
    });

  return {
    nodes: running.map((node) => ({
      port: node.port,
      url: `redis://127.0.0.1:${node.port}`,
      get alive() {
        return node.alive;
      },
    })),
    seeds: running.map((node) => `127.0.0.1:${node.port}`),
    url: `redis://127.0.0.1:${running[0]!.port}?cluster=true`,

    async shardOf(key) {
      const slot = Number((await cli(live()[0]!.port, 'CLUSTER', 'KEYSLOT', key)).trim());
      const nodes = await topology();
      const primary = nodes.find(
        (node) =>
          node.flags.includes('master') && !node.flags.includes('fail') && owns(node.slots, slot),
      );
      if (!primary) throw new Error(`Redis Cluster: no primary serves slot ${slot}.`);
      const replica = nodes.find(
        (node) => node.primaryId === primary.id && !node.flags.includes('fail'),
      );
      return { primary: primary.port, replica: replica?.port };
    },

    async kill(port) {
      const node = running.find((candidate) => candidate.port === port);
      if (!node?.alive) return;
      node.child.kill('SIGKILL');
      await node.exited;
    },

    async promote(replica, { automaticMs = 10_000 } = {}) {
      const isPrimary = async () => (await cli(replica, 'ROLE')).startsWith('master');
      let how: 'automatic' | 'takeover' = 'automatic';
      try {
        await until('the automatic failover', isPrimary, Date.now() + automaticMs);
      } catch {
        how = 'takeover';
        await cli(replica, 'CLUSTER', 'FAILOVER', 'TAKEOVER');
        await until('the takeover', isPrimary, Date.now() + 10_000);
      }
      await until(
        'cluster_state:ok after the failover',
        async () => {
          for (const node of live()) {
            if (!(await cli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'))
              return false;
          }
          return true;
        },
        Date.now() + 20_000,
      );
      return how;
    },

    stop: stopAll,
  };
}
