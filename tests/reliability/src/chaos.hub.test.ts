import { Hub } from '@patchbay/realtime-server';
import { createTcpProxy, sleep } from '@patchbay/realtime-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { record, tally } from './summary/record.js';
import {
  between,
  collect,
  counters,
  createHubClient,
  describeRejections,
  every,
  HUB_PROVIDERS,
  HubScope,
  publishCounters,
  rejectedCount,
  scenarioRandom,
  settleDelivery,
} from './support/hubKit.js';
import { chaosSeed } from './support/seed.js';

const seed = chaosSeed();
console.log(`chaos.hub seed: ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);

describe.each(HUB_PROVIDERS)('%s through a faulty network', (provider) => {
  const scope = new HubScope();
  afterEach(() => scope.dispose());

  it('link cut every 1–2 s: 10 000 messages arrive exactly once, in order, with no gap', async () => {
    const scenario = 'chaos: link cut every 1–2 s';
    const random = scenarioRandom(seed, scenario, provider);
    const total = 10_000;
    // History deep enough to cover any outage here, so every resume must recover.
    const hub = scope.hub(
      new Hub({ allowAnonymous: true, rateLimit: false, historySize: 50_000, presenceGraceMs: 0 }),
    );
    const server = scope.server(hub);
    await server.start();
    const publisherLink = scope.proxy(await createTcpProxy({ upstream: server.port }));
    const subscriberLink = scope.proxy(await createTcpProxy({ upstream: server.port }));
    const subscriber = scope.client(
      createHubClient(provider, subscriberLink.url, { clientId: 'chaos-subscriber' }),
    );
    const publisher = scope.client(
      createHubClient(provider, publisherLink.url, { clientId: 'chaos-publisher' }),
    );
    const seen = collect(subscriber, 'chaos-cut');
    await subscriber.connect();
    await seen.channel.ready();
    await publisher.connect();

    const cuts = every(random, 1_000, 2_000, () => {
      publisherLink.cut();
      subscriberLink.cut();
    });
    let outcome: Awaited<ReturnType<typeof publishCounters>>;
    try {
      // Paced (about 500/s) so the stream spans a dozen cuts; unpaced it ends before the first.
      outcome = await publishCounters(publisher.channel('chaos-cut'), total, {
        window: 500,
        beforeEach: (n) => (n > 0 && n % 50 === 0 ? sleep(100) : undefined),
      });
    } finally {
      await cuts.stop();
    }
    const complete = await settleDelivery(seen, total, publisher, 30_000);

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `${cuts.count} cuts, ${seen.discontinuities.length} discontinuities, ${describeRejections(outcome)}, seed ${seed}`,
    });
    expect(cuts.count).toBeGreaterThan(0);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(seen.discontinuities).toEqual([]);
    expect(rejectedCount(outcome)).toBe(0);
    expect(complete).toBe(true);
  }, 120_000);

  it('delay 20–50 ms + blackholes past the heartbeat: 1 000 messages exactly once, in order', async () => {
    const scenario = 'chaos: delay + blackhole';
    const random = scenarioRandom(seed, scenario, provider);
    const total = 1_000;
    const hub = scope.hub(
      new Hub({ allowAnonymous: true, rateLimit: false, historySize: 50_000, presenceGraceMs: 0 }),
    );
    // Heartbeat 500 ms: Socket.IO declares the link dead after 1.5 s without a ping, SSE after
    // 1.25 s without a byte. Blackholes last 2.5–3.5 s, so each one is detected by the heartbeat.
    const server = scope.server(hub, { heartbeatMs: 500 });
    await server.start();
    const publisherLink = scope.proxy(await createTcpProxy({ upstream: server.port }));
    const subscriberLink = scope.proxy(await createTcpProxy({ upstream: server.port }));
    const links = [publisherLink, subscriberLink];
    const options = { reconnect: { connectTimeoutMs: 2_000 } };
    const subscriber = scope.client(
      createHubClient(provider, subscriberLink.url, { ...options, clientId: 'silent-subscriber' }),
    );
    const publisher = scope.client(
      createHubClient(provider, publisherLink.url, { ...options, clientId: 'silent-publisher' }),
    );
    const seen = collect(subscriber, 'chaos-silent');
    await subscriber.connect();
    await seen.channel.ready();
    await publisher.connect();

    const lost = { publisher: 0, subscriber: 0 };
    const countDrops = (client: typeof publisher, key: keyof typeof lost) => {
      let previous = client.connection.getSnapshot().state;
      return client.connection.subscribe(() => {
        const { state } = client.connection.getSnapshot();
        if (previous === 'connected' && state !== 'connected') lost[key]++;
        previous = state;
      });
    };
    const unwatch = [countDrops(publisher, 'publisher'), countDrops(subscriber, 'subscriber')];

    const jitter = every(random, 300, 700, () => {
      const ms = between(random, 20, 50);
      for (const link of links) link.delay(ms);
    });
    let blackholes = 0;
    const silences = every(random, 1_000, 2_000, async () => {
      // One side or both go silent: the link stays open but nothing crosses it.
      const pick = random();
      const targets = pick < 1 / 3 ? [publisherLink] : pick < 2 / 3 ? [subscriberLink] : links;
      blackholes++;
      for (const link of targets) link.blackhole(true);
      await sleep(between(random, 2_500, 3_500));
      for (const link of targets) link.blackhole(false);
    });
    let outcome: Awaited<ReturnType<typeof publishCounters>>;
    try {
      // Paced (about 100/s) so the stream spans several blackholes.
      outcome = await publishCounters(publisher.channel('chaos-silent'), total, {
        window: 200,
        beforeEach: (n) => (n > 0 && n % 20 === 0 ? sleep(200) : undefined),
      });
    } finally {
      await silences.stop();
      await jitter.stop();
      for (const link of links) {
        link.blackhole(false);
        link.delay(0);
      }
    }
    const complete = await settleDelivery(seen, total, publisher, 30_000);
    for (const off of unwatch) off();

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `${blackholes} blackholes; links declared dead: publisher ${lost.publisher}, subscriber ${lost.subscriber}; ${seen.discontinuities.length} discontinuities, ${describeRejections(outcome)}, seed ${seed}`,
    });
    expect(blackholes).toBeGreaterThan(0);
    expect(lost.publisher + lost.subscriber).toBeGreaterThan(0);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(seen.discontinuities).toEqual([]);
    expect(rejectedCount(outcome)).toBe(0);
    expect(complete).toBe(true);
  }, 120_000);
});
