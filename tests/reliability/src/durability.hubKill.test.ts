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
  publishCounters,
  rejectedCount,
  scenarioRandom,
  settleDelivery,
} from './support/hubKit.js';
import { type HubProcess, startHubProcess } from './support/hubProcess.js';
import { chaosSeed } from './support/seed.js';

const seed = chaosSeed();
console.log(`durability.hubKill seed: ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);

/** Each scenario runs this many times per provider; every run is a row. */
const RUNS = [1, 2, 3];
/** Delivered before the kill, so the subscriber holds a position in the first hub's epoch. */
const BEFORE = 50;
/** Queued by the publisher while it is offline, flushed to the restarted hub. */
const QUEUED = 200;

describe.each(HUB_PROVIDERS)('%s: the hub process dies (memory broker)', (provider) => {
  const scope = new HubScope();
  const hubs: HubProcess[] = [];
  afterEach(async () => {
    await scope.dispose();
    await Promise.all(hubs.splice(0).map((hub) => hub.kill()));
  });

  it.each(RUNS)(
    'run %i: SIGKILLed while a publisher holds 200 queued messages: the subscriber attached before the kill ends with all 200',
    async (run) => {
      const scenario = 'hub SIGKILLed (memory broker), publisher flushes 200 queued';
      const random = scenarioRandom(seed, `${scenario} #${run}`, provider);
      const args = ['--rate-limit', 'off', '--presence-grace-ms', '0'];
      const first = await startHubProcess(args);
      hubs.push(first);
      // Both reach the hub through proxies, so the test decides who is back first.
      const subscriberLink = scope.proxy(await createTcpProxy({ upstream: first.port }));
      const subscriber = scope.client(
        createHubClient(provider, subscriberLink.url, { clientId: `kill-subscriber-${run}` }),
      );
      const link = scope.proxy(await createTcpProxy({ upstream: first.port }));
      const publisher = scope.client(
        createHubClient(provider, link.url, { clientId: `kill-publisher-${run}` }),
      );
      const seen = collect(subscriber, 'hub-kill');
      await subscriber.connect();
      await seen.channel.ready();
      await publisher.connect();
      let warm = 0;
      seen.channel.subscribe('warm', () => {
        warm++;
      });
      const channel = publisher.channel('hub-kill');
      for (let n = 0; n < BEFORE; n++) await channel.publish('warm', { n });
      await waitFor(`${BEFORE} deliveries`, () => warm >= BEFORE);

      // The publisher goes offline and queues the rest.
      link.refuse(true);
      link.cut();
      await waitFor(
        'the publisher to notice',
        () => publisher.connection.getSnapshot().state !== 'connected',
      );
      const flushing = publishCounters(channel, QUEUED, { window: QUEUED });
      await waitFor(
        'every publish to be queued',
        () => publisher.queue.getSnapshot().size >= QUEUED,
      );
      const queued = publisher.queue.getSnapshot().size;

      // The hub dies with everything it held and comes back empty on the same port. Who reaches
      // it first decides what the subscriber's resume finds: run 1 the publisher's flush (all
      // 200 already in the new hub's history), run 2 the subscriber, run 3 both at once.
      subscriberLink.refuse(true);
      await first.kill();
      await waitFor(
        'the subscriber to notice',
        () => subscriber.connection.getSnapshot().state !== 'connected',
      );
      await sleep(between(random, 100, 400));
      hubs.push(await startHubProcess([...args, '--port', String(first.port)]));
      const order = (['publisher first', 'subscriber first', 'together'] as const)[(run - 1) % 3];
      if (order === 'publisher first') {
        link.refuse(false);
        await waitFor('the flush', () => publisher.queue.getSnapshot().size === 0, {
          timeoutMs: 15_000,
        });
        subscriberLink.refuse(false);
      } else if (order === 'subscriber first') {
        subscriberLink.refuse(false);
        await seen.channel.ready();
        link.refuse(false);
      } else {
        subscriberLink.refuse(false);
        link.refuse(false);
      }

      const outcome = await flushing;
      await settleDelivery(seen, QUEUED, publisher, 15_000);
      const counts = tally(counters(QUEUED), seen.received);
      record({
        scenario: `${scenario} (run ${run})`,
        provider,
        ...counts,
        note: `${order}; ${BEFORE} delivered before the kill, ${queued} queued; ${seen.discontinuities.length} discontinuities; ${describeRejections(outcome)}`,
      });
      expect(queued).toBe(QUEUED);
      expect(seen.discontinuities).toContain('history-unavailable');
      expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
      expect(rejectedCount(outcome)).toBe(0);
    },
    60_000,
  );
});
