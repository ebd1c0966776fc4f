import { Hub } from '@patchbay/realtime-server';
import { createRedisBroker } from '@patchbay/realtime-server/redis';
import {
  type RedisServerHandle,
  sleep,
  startRedisServer,
  waitFor,
} from '@patchbay/realtime-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { record, tally } from './summary/record.js';
import {
  between,
  collect,
  counters,
  createHubClient,
  describeRejections,
  HUB_PROVIDERS,
  HubScope,
  publishCounters,
  rejectedCount,
  scenarioRandom,
  settleDelivery,
} from './support/hubKit.js';
import { chaosSeed } from './support/seed.js';

const seed = chaosSeed();
console.log(`durability.redis seed: ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);

/** Each scenario runs this many times per provider; every run is a row. */
const RUNS = [1, 2, 3];

describe.each(HUB_PROVIDERS)('%s: Redis loses its data under a live hub', (provider) => {
  const scope = new HubScope();
  let redis: RedisServerHandle | undefined;
  let closeBroker: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await scope.dispose();
    await closeBroker?.();
    await redis?.stop();
    closeBroker = undefined;
    redis = undefined;
  });

  it.each(RUNS)(
    'run %i: Redis SIGKILLed and restarted empty while a publisher streams: a discontinuity, nothing acknowledged after the restart lost, nothing reordered',
    async (run) => {
      const scenario = 'Redis SIGKILLed, back empty, publisher streaming';
      const random = scenarioRandom(seed, `${scenario} #${run}`, provider);
      const total = 1_500;
      redis = await startRedisServer();
      const broker = createRedisBroker({ url: redis.url, nodeTtlMs: 3_000 });
      closeBroker = () => broker.close();
      const hub = scope.hub(
        new Hub({
          broker,
          allowAnonymous: true,
          rateLimit: false,
          historySize: 10_000,
          presenceGraceMs: 0,
        }),
      );
      const server = scope.server(hub);
      await server.start();
      const subscriber = scope.client(
        createHubClient(provider, server.url, { clientId: `redis-loss-subscriber-${run}` }),
      );
      const publisher = scope.client(
        createHubClient(provider, server.url, { clientId: `redis-loss-publisher-${run}` }),
      );
      const seen = collect(subscriber, 'redis-loss');
      await subscriber.connect();
      await seen.channel.ready();
      await publisher.connect();

      const ackedAt = new Map<number, number>();
      let restartedAt = Number.POSITIVE_INFINITY;
      const crashing = (async () => {
        await waitFor('500 deliveries', () => seen.unique.size >= 500, {
          timeoutMs: 60_000,
          intervalMs: 5,
        });
        const port = (redis as RedisServerHandle).port;
        await (redis as RedisServerHandle).kill();
        await sleep(between(random, 200, 600));
        redis = await startRedisServer({ port });
        restartedAt = Date.now();
      })();
      crashing.catch(() => {});
      const outcome = await publishCounters(publisher.channel('redis-loss'), total, {
        window: 100,
        beforeEach: (n) => (n > 0 && n % 50 === 0 ? sleep(30) : undefined),
        onSettled: (n, error) => {
          if (error === undefined) ackedAt.set(n, Date.now());
        },
      });
      await crashing;
      await settleDelivery(seen, total, publisher, 10_000);

      const counts = tally(counters(total), seen.received);
      const ackedAfterRestart = [...ackedAt].filter(([, at]) => at > restartedAt);
      const lostAfterRestart = ackedAfterRestart.filter(([n]) => !seen.unique.has(n)).length;
      const lostSilently = seen.discontinuities.length === 0 ? counts.lost : 0;
      record({
        scenario: `${scenario} (run ${run})`,
        provider,
        ...counts,
        note: `${seen.discontinuities.length} discontinuities; ${ackedAfterRestart.length} acknowledged after the restart, ${lostAfterRestart} of them lost; ${lostSilently} lost without a discontinuity; ${describeRejections(outcome)}`,
      });
      expect(seen.discontinuities.length).toBeGreaterThan(0);
      expect(seen.discontinuities).toContain('history-unavailable');
      expect(lostSilently).toBe(0);
      expect(ackedAfterRestart.length).toBeGreaterThan(0);
      expect(lostAfterRestart).toBe(0);
      expect(counts).toMatchObject({ duplicated: 0, reordered: 0 });
      expect(rejectedCount(outcome)).toBe(0);
    },
    90_000,
  );
});
