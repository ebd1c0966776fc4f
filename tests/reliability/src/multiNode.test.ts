import { randomUUID } from 'node:crypto';
import type { RealtimeClient } from '@patchbay/realtime-core';
import {
  createTcpProxy,
  type RedisClusterHandle,
  type RedisServerHandle,
  sleep,
  startRedisCluster,
  startRedisServer,
  type TcpProxy,
  waitFor,
} from '@patchbay/realtime-testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { record, tally } from './summary/record.js';
import {
  type Collector,
  collect,
  counters,
  createHubClient,
  describeRejections,
  type HubProvider,
  publishCounters,
  rejectedCount,
} from './support/hubKit.js';
import { type HubProcess, startHubProcess } from './support/hubProcess.js';

/** How soon a dead node's presence members leave (the hubs' `--redis-node-ttl-ms`). */
const NODE_TTL_MS = 1_500;
const TOTAL = 1_200;
const CHANNEL = 'multi-node';

type Node = HubProcess;

let redis: RedisServerHandle | undefined;
let cluster: RedisClusterHandle | undefined;
const nodes: Node[] = [];
const proxies: TcpProxy[] = [];
const clients: RealtimeClient[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  for (const proxy of proxies) await proxy.close().catch(() => {});
  await Promise.all(nodes.map((node) => node.kill()));
  await redis?.stop();
  await cluster?.stop();
});

/** Start one hub process on a free port, sharing Redis; resolves once it listens. */
async function startNode(redisUrl: string, keyPrefix: string): Promise<Node> {
  const node = await startHubProcess([
    '--redis',
    redisUrl,
    '--redis-prefix',
    keyPrefix,
    '--redis-node-ttl-ms',
    String(NODE_TTL_MS),
    '--presence-grace-ms',
    '300',
  ]);
  nodes.push(node);
  return node;
}

/** `[a, b, c]` rotated so that `list[first]` comes first. */
const rotate = <T>(list: readonly T[], first: number): T[] => [
  ...list.slice(first),
  ...list.slice(0, first),
];

interface Backend {
  /** Where the hubs keep state: a Redis URL (`?cluster=true` for a cluster seed). */
  url: string;
  label: string;
  /** A Redis fault injected at publish `n` (not awaited: the stream goes on meanwhile). */
  fault?: { at: number; run(keyPrefix: string): Promise<string> };
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'one Redis',
    async () => {
      redis = await startRedisServer();
      return { url: redis.url, label: '3 hubs on Redis' };
    },
  ],
  [
    'a 3-primary Redis Cluster whose channel primary is SIGKILLed mid-stream',
    async () => {
      const started = await startRedisCluster({ primaries: 3 });
      cluster = started;
      return {
        url: started.url,
        label: '3 hubs on a 3-primary Redis Cluster',
        fault: {
          at: 700,
          async run(keyPrefix) {
            const shard = await started.shardOf(`{${keyPrefix}${CHANNEL}}:seq`);
            if (shard.replica === undefined) throw new Error('the channel primary has no replica');
            const killedAt = Date.now();
            await started.kill(shard.primary);
            const how = await started.promote(shard.replica);
            return `channel primary SIGKILLed at n=700, replica promoted (${how}) after ${Date.now() - killedAt} ms`;
          },
        },
      };
    },
  ],
];

describe.each(backends)('multi-node failover on %s', (_name, startBackend) => {
  it('a node dies mid-stream: its clients resume on survivors with nothing lost, and its members leave', async () => {
    const backend = await startBackend();
    const keyPrefix = `multi-node-${randomUUID().slice(0, 8)}:`;
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => startNode(backend.url, keyPrefix)));
    const ports = [a!.port, b!.port, c!.port];
    const victim = b!;

    const link = async (upstream: number[]) => {
      const proxy = await createTcpProxy({ upstream });
      proxies.push(proxy);
      return proxy;
    };
    const client = (provider: HubProvider, url: string, clientId: string) => {
      const created = createHubClient(provider, url, { clientId });
      clients.push(created);
      return created;
    };

    // Six subscribers, alternating transports, each preferring node A, B or C in turn.
    const subscribers: Array<{
      provider: HubProvider;
      proxy: TcpProxy;
      onVictim: boolean;
      seen: Collector;
      client: RealtimeClient;
    }> = [];
    for (let i = 0; i < 6; i++) {
      const provider: HubProvider = i % 2 === 0 ? 'socketio' : 'sse';
      const proxy = await link(rotate(ports, i % 3));
      const subscriber = client(provider, proxy.url, `subscriber-${i}`);
      subscribers.push({
        provider,
        proxy,
        onVictim: i % 3 === 1,
        seen: collect(subscriber, CHANNEL),
        client: subscriber,
      });
    }
    await Promise.all(subscribers.map((s) => s.client.connect()));
    await Promise.all(subscribers.map((s) => s.seen.channel.ready()));

    // A member on the doomed node only (it cannot fail over), watched from A (Socket.IO) and C (SSE).
    const ghost = client('socketio', (await link([victim.port])).url, 'ghost');
    await ghost.connect();
    await ghost.channel(CHANNEL).presence.enter({ on: 'B' });
    const watchers = [subscribers[0]!, subscribers[2]!];
    for (const watcher of watchers) watcher.seen.channel.presence.subscribe(() => {});
    const ghostPresent = () =>
      watchers.map((w) =>
        w.seen.channel.presence.getSnapshot().some((member) => member.clientId === 'ghost'),
      );
    await waitFor('the ghost on both watchers', () => ghostPresent().every(Boolean));

    // The publisher sits on node A (C if A were down; never B).
    const publisher = client('socketio', (await link([ports[0]!, ports[2]!])).url, 'publisher');
    await publisher.connect();

    let killedAt = 0;
    let ghostGoneAfterMs: number | undefined;
    const ghostWatch = waitFor(
      'the ghost to leave on both watchers',
      () => {
        if (!killedAt || ghostPresent().some(Boolean)) return false;
        ghostGoneAfterMs = Date.now() - killedAt;
        return true;
      },
      { timeoutMs: 40_000, intervalMs: 20 },
    ).catch(() => undefined);

    // The hubs' default rate limit (100/s, burst 200) paces the stream: about 10 s in all.
    let fault: Promise<string> | undefined;
    const outcome = await publishCounters(publisher.channel(CHANNEL), TOTAL, {
      window: 50,
      beforeEach: (n) => {
        if (n === 400) {
          killedAt = Date.now();
          victim.child.kill('SIGKILL');
        }
        if (backend.fault && n === backend.fault.at) {
          fault = backend.fault.run(keyPrefix);
          fault.catch(() => {});
        }
      },
    });
    const faultNote = fault ? `; ${await fault}` : '';

    // Wait (bounded) for every subscriber to have everything, then a quiet moment for late duplicates.
    const deadline = Date.now() + 20_000;
    while (subscribers.some((s) => s.seen.unique.size < TOTAL) && Date.now() < deadline) {
      await sleep(50);
    }
    await sleep(300);
    await Promise.race([ghostWatch, sleep(Math.max(0, killedAt + NODE_TTL_MS * 4 - Date.now()))]);

    const failedOver = subscribers.filter((s) => s.onVictim && s.proxy.stats().accepted >= 2);
    const sent = counters(TOTAL);
    for (const provider of ['socketio', 'sse'] as const) {
      const mine = subscribers.filter((s) => s.provider === provider);
      const tallies = mine.map((s) => tally(sent, s.seen.received));
      const sum = (key: 'sent' | 'received' | 'lost' | 'duplicated' | 'reordered') =>
        tallies.reduce((total, t) => total + t[key], 0);
      const discontinuities = mine.reduce((total, s) => total + s.seen.discontinuities.length, 0);
      record({
        scenario: backend.fault ? 'multi-node failover, Redis Cluster' : 'multi-node failover',
        provider,
        sent: sum('sent'),
        received: sum('received'),
        lost: sum('lost'),
        duplicated: sum('duplicated'),
        reordered: sum('reordered'),
        note: `${backend.label}, 1 hub SIGKILLed at n=400${faultNote}; ${mine.length} subscribers, ${failedOver.filter((s) => s.provider === provider).length} failed over; ${discontinuities} discontinuities; ${describeRejections(outcome)}; dead node's member left after ${ghostGoneAfterMs ?? 'never'} ms (TTL ${NODE_TTL_MS})`,
      });
    }

    expect(rejectedCount(outcome), describeRejections(outcome)).toBe(0);
    expect(failedOver.map((s) => s.provider).sort()).toEqual(['socketio', 'sse']);
    for (const s of subscribers) {
      expect(tally(sent, s.seen.received), `subscriber on ${s.provider}`).toMatchObject({
        lost: 0,
        duplicated: 0,
        reordered: 0,
      });
      expect(s.seen.discontinuities).toEqual([]);
    }
    expect(ghostGoneAfterMs, victim.output()).toBeDefined();
    // The TTL, plus up to one sweep interval (TTL / 3), plus slack for a busy machine.
    expect(ghostGoneAfterMs).toBeLessThan(NODE_TTL_MS * 3);
  });
});
