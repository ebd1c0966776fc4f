import { localStorageQueueStorage, type QueuedMessage } from '@patchbay/realtime-core';
import { Hub } from '@patchbay/realtime-server';
import { createTcpProxy, sleep, waitFor } from '@patchbay/realtime-testkit';
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
  MapStorage,
  publishCounters,
  rejectedCount,
  scenarioRandom,
  settleDelivery,
} from './support/hubKit.js';
import { chaosSeed } from './support/seed.js';

const seed = chaosSeed();
console.log(`durability.hub seed: ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);

const newHub = () =>
  new Hub({ allowAnonymous: true, rateLimit: false, historySize: 10_000, presenceGraceMs: 0 });

describe.each(HUB_PROVIDERS)('%s: outages and restarts', (provider) => {
  const scope = new HubScope();
  afterEach(() => scope.dispose());

  it('the HTTP server restarts twice mid-stream (hub state kept): 2 000 messages exactly once, in order', async () => {
    const scenario = 'server restart mid-stream';
    const random = scenarioRandom(seed, scenario, provider);
    const total = 2_000;
    const hub = scope.hub(newHub());
    const server = scope.server(hub);
    await server.start();
    const subscriber = scope.client(
      createHubClient(provider, server.url, { clientId: 'restart-subscriber' }),
    );
    const publisher = scope.client(
      createHubClient(provider, server.url, { clientId: 'restart-publisher' }),
    );
    const seen = collect(subscriber, 'restart');
    await subscriber.connect();
    await seen.channel.ready();
    await publisher.connect();

    let restarts = 0;
    const restartAt = [500, 1_300];
    const restarting = (async () => {
      for (const threshold of restartAt) {
        await waitFor(`${threshold} deliveries`, () => seen.unique.size >= threshold, {
          timeoutMs: 60_000,
          intervalMs: 10,
        });
        await server.stop();
        await sleep(between(random, 300, 800));
        await server.start();
        restarts++;
      }
    })();
    restarting.catch(() => {});
    const outcome = await publishCounters(publisher.channel('restart'), total, {
      window: 200,
      beforeEach: (n) => (n > 0 && n % 50 === 0 ? sleep(50) : undefined),
    });
    await restarting.catch(() => {});
    const complete = await settleDelivery(seen, total, publisher, 30_000);

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `${restarts} HTTP restarts on one Hub, ${seen.discontinuities.length} discontinuities, ${describeRejections(outcome)}`,
    });
    expect(restarts).toBe(restartAt.length);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(seen.discontinuities).toEqual([]);
    expect(rejectedCount(outcome)).toBe(0);
    expect(complete).toBe(true);
  }, 90_000);

  it('the Hub itself is replaced (memory state lost): the subscriber gets an explicit discontinuity', async () => {
    const scenario = 'hub replaced mid-stream (state lost)';
    const random = scenarioRandom(seed, scenario, provider);
    const total = 2_000;
    const first = scope.hub(newHub());
    const server = scope.server(first);
    await server.start();
    const subscriber = scope.client(
      createHubClient(provider, server.url, { clientId: 'replaced-subscriber' }),
    );
    const publisher = scope.client(
      createHubClient(provider, server.url, { clientId: 'replaced-publisher' }),
    );
    const seen = collect(subscriber, 'replaced');
    await subscriber.connect();
    await seen.channel.ready();
    await publisher.connect();

    let deliveredBeforeSwap = 0;
    const swapping = (async () => {
      await waitFor('500 deliveries', () => seen.unique.size >= 500, {
        timeoutMs: 60_000,
        intervalMs: 10,
      });
      await server.stop();
      await first.close();
      deliveredBeforeSwap = seen.received.length;
      await sleep(between(random, 300, 800));
      await server.start(scope.hub(newHub()));
    })();
    swapping.catch(() => {});
    const outcome = await publishCounters(publisher.channel('replaced'), total, {
      window: 200,
      beforeEach: (n) => (n > 0 && n % 50 === 0 ? sleep(50) : undefined),
    });
    await swapping;
    await settleDelivery(seen, total, publisher, 15_000);
    await waitFor('a discontinuity', () => seen.discontinuities.length > 0, {
      timeoutMs: 10_000,
    }).catch(() => {});

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `discontinuity signalled: ${seen.discontinuities.join(', ') || 'NONE'} (the new Hub has no history; loss, if any, is covered by it); ${deliveredBeforeSwap} delivered before the swap, ${describeRejections(outcome)}`,
    });
    expect(seen.discontinuities.length).toBeGreaterThan(0);
    expect(seen.discontinuities).toContain('history-unavailable');
    expect(counts).toMatchObject({ duplicated: 0, reordered: 0 });
    // After the gap signal the stream goes on: the last message published arrives.
    expect(seen.unique.has(total - 1)).toBe(true);
    expect(rejectedCount(outcome)).toBe(0);
  }, 90_000);

  it('offline: 1 000 publishes queued while the server is down arrive exactly once, in order, when it returns', async () => {
    const scenario = 'offline queue: server down';
    const total = 1_000;
    const hub = scope.hub(newHub());
    const server = scope.server(hub);
    await server.start();
    const subscriber = scope.client(
      createHubClient(provider, server.url, { clientId: 'offline-subscriber' }),
    );
    const publisher = scope.client(
      createHubClient(provider, server.url, { clientId: 'offline-publisher' }),
    );
    const seen = collect(subscriber, 'offline');
    await subscriber.connect();
    await seen.channel.ready();
    await publisher.connect();

    await server.stop();
    await waitFor('the publisher to notice the outage', () => {
      const { state } = publisher.connection.getSnapshot();
      return state !== 'connected';
    });
    const publishing = publishCounters(publisher.channel('offline'), total, { window: total });
    await waitFor('every publish to be queued', () => publisher.queue.getSnapshot().size >= total, {
      timeoutMs: 10_000,
    }).catch(() => {});
    const queuedWhileDown = publisher.queue.getSnapshot().size;
    const receivedWhileDown = seen.received.length;
    // A few failed reconnect attempts while down.
    await sleep(1_000);
    await server.start();
    const outcome = await publishing;
    const complete = await settleDelivery(seen, total, publisher, 30_000);

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `${queuedWhileDown} queued while down, ${receivedWhileDown} delivered while down, ${seen.discontinuities.length} discontinuities, ${describeRejections(outcome)}`,
    });
    expect(queuedWhileDown).toBe(total);
    expect(receivedWhileDown).toBe(0);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(seen.discontinuities).toEqual([]);
    expect(rejectedCount(outcome)).toBe(0);
    expect(complete).toBe(true);
  }, 60_000);

  it('offline + client restart: a new client with the same localStorage key sends the 1 000 queued publishes exactly once, in order', async () => {
    const scenario = 'offline queue: client restart (localStorage)';
    const total = 1_000;
    const hub = scope.hub(newHub());
    const server = scope.server(hub);
    await server.start();
    const subscriber = scope.client(
      createHubClient(provider, server.url, { clientId: 'reload-subscriber' }),
    );
    const seen = collect(subscriber, 'reload');
    await subscriber.connect();
    await seen.channel.ready();

    // The publisher's network refuses every connection: the server looks down to it.
    const link = scope.proxy(await createTcpProxy({ upstream: server.port }));
    link.refuse(true);
    const storage = new MapStorage();
    const key = `patchbay:queue:reload-${provider}`;
    const stored = (): QueuedMessage[] => JSON.parse(storage.getItem(key) ?? '[]');
    const pageOptions = () => ({
      clientId: 'reload-publisher',
      queue: { storage: localStorageQueueStorage({ key, storage }) },
    });

    const before = scope.client(createHubClient(provider, link.url, pageOptions()));
    void before.connect();
    const abandoned = Array.from({ length: total }, (_, n) =>
      before.channel('reload').publish('n', { n }),
    );
    for (const publish of abandoned) publish.catch(() => {});
    await waitFor('the first client to try and fail to connect', () => {
      const { state, attempt } = before.connection.getSnapshot();
      return state === 'reconnecting' && attempt >= 2;
    });
    const storedBeforeClose = stored().length;
    const queuedBeforeClose = before.queue.getSnapshot().size;
    // The page goes away with its queue undelivered.
    before.close();

    const after = scope.client(createHubClient(provider, link.url, pageOptions()));
    const restored = after.queue.getSnapshot().size;
    void after.connect();
    await sleep(300);
    const receivedWhileDown = seen.received.length;
    link.refuse(false);
    const complete = await settleDelivery(seen, total, after, 30_000);
    await sleep(200);
    const storedAfter = stored().length;

    const counts = tally(counters(total), seen.received);
    record({
      scenario,
      provider,
      ...counts,
      note: `${storedBeforeClose} stored, ${queuedBeforeClose} queued before close, ${restored} restored by the new client, ${storedAfter} left stored after delivery, ${seen.discontinuities.length} discontinuities`,
    });
    expect(storedBeforeClose).toBe(total);
    expect(queuedBeforeClose).toBe(total);
    expect(restored).toBe(total);
    expect(receivedWhileDown).toBe(0);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(seen.discontinuities).toEqual([]);
    expect(storedAfter).toBe(0);
    expect(complete).toBe(true);
  }, 60_000);
});
