import type { RealtimeClient } from '@patchbay/realtime-core';
import {
  createTcpProxy,
  type RedisServerHandle,
  startRedisServer,
  type TcpProxy,
  waitFor,
} from '@patchbay/realtime-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import { type Collector, collect, counters, createHubClient } from './support/hubKit.js';
import { type HubProcess, startHubProcess } from './support/hubProcess.js';

const TOTAL = 20;
const CHANNEL = 'round-robin';

/**
 * Two hub processes on one Redis behind an ordinary TCP load balancer that spreads connections
 * round-robin, with no stickiness: an SSE client's stream lands on one process and its POSTs on
 * the other. The process without the stream runs each POST on the one that holds it (through
 * Redis), so everything arrives both ways — before, every subscribe was answered 410 for ever and
 * the client looked connected while receiving nothing.
 */
describe('SSE across hub processes behind a round-robin load balancer', () => {
  let redis: RedisServerHandle;
  const nodes: HubProcess[] = [];
  let proxy: TcpProxy;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) {
      nodes.push(await startHubProcess(['--redis', redis.url, '--redis-prefix', 'rr:']));
    }
    proxy = await createTcpProxy({
      upstream: nodes.map((node) => node.port),
      balance: 'round-robin',
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await proxy?.close();
    await Promise.all(nodes.map((node) => node.kill()));
    await redis?.stop();
  });

  it('every message arrives both ways, and the connections stay healthy', async () => {
    const connect = (clientId: string) => {
      const client = createHubClient('sse', proxy.url, { clientId, auth: () => clientId });
      clients.push(client);
      return client;
    };
    const alice = connect('alice');
    const bob = connect('bob');
    const errors: string[] = [];
    for (const client of [alice, bob]) client.on('error', (error) => errors.push(error.code));
    await Promise.all([alice.connect(), bob.connect()]);
    const atAlice: Collector = collect(alice, CHANNEL, 'from-bob');
    const atBob: Collector = collect(bob, CHANNEL, 'from-alice');
    await Promise.all([atAlice.channel.ready(), atBob.channel.ready()]);

    await Promise.all(
      counters(TOTAL).flatMap((n) => [
        alice.channel(CHANNEL).publish('from-alice', { n }),
        bob.channel(CHANNEL).publish('from-bob', { n }),
      ]),
    );
    await waitFor('both ways', () => atAlice.unique.size === TOTAL && atBob.unique.size === TOTAL, {
      timeoutMs: 20_000,
    });

    const received = [...atAlice.received, ...atBob.received];
    record({
      scenario: 'SSE, two hubs on one Redis behind a round-robin TCP balancer (no stickiness)',
      provider: 'sse',
      sent: 2 * TOTAL,
      received: received.length,
      lost: 2 * TOTAL - atAlice.unique.size - atBob.unique.size,
      duplicated: received.length - atAlice.unique.size - atBob.unique.size,
      note: `${proxy.stats().accepted} connections through the balancer; ${errors.length} errors`,
    });
    expect(atBob.received).toEqual(counters(TOTAL));
    expect(atAlice.received).toEqual(counters(TOTAL));
    expect([...atAlice.discontinuities, ...atBob.discontinuities]).toEqual([]);
    expect(errors).toEqual([]);
    expect(alice.connection.getSnapshot().state).toBe('connected');
    expect(bob.connection.getSnapshot().state).toBe('connected');
    // The balancer did spread the connections: at least a stream and a request connection each.
    expect(proxy.stats().accepted).toBeGreaterThanOrEqual(4);
  });
});
