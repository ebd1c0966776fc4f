import { sleep } from '@patchbay/realtime-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { record, tally } from './summary/record.js';
import { chaosSeed, seededRandom } from './support/seed.js';
import {
  ablyClient,
  proxyTo,
  pusherClient,
  startAbly,
  startPusher,
  Teardown,
  triggerRange,
} from './support/vendorRig.js';
import {
  pace,
  queuePublishes,
  range,
  rejectedPublishes,
  settle,
  startChaos,
  watchChannel,
} from './support/vendorTraffic.js';

/*
 * The real `ably`, `pusher-js` and `pusher` SDKs against the emulators, with a TCP proxy cutting
 * or slowing the client links. Ably recovers every gap from history; Pusher cannot, so every gap
 * must be signalled with `discontinuity` and nothing may go missing outside one.
 */

const CHAOS_MESSAGES = 10_000;
const CHAOS_RATE = 500;
const CHANNEL = 'chaos';

const teardown = new Teardown();
afterEach(() => teardown.run());

describe('chaos: link cut every 1–2 s, 10 000 messages', () => {
  it('ably: every gap is recovered — nothing lost, duplicated or reordered, no discontinuity', async () => {
    const seed = chaosSeed();
    console.log(`[chaos ably] seed ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);
    const random = seededRandom(seed);
    const run = `ably-chaos-${seed}`;
    const emulator = await startAbly(teardown);
    const publisherLink = await proxyTo(teardown, emulator.port);
    const subscriberLink = await proxyTo(teardown, emulator.port);
    const publisher = ablyClient(teardown, emulator, {
      clientId: 'chaos-pub',
      port: publisherLink.port,
    });
    const subscriber = ablyClient(teardown, emulator, {
      clientId: 'chaos-sub',
      port: subscriberLink.port,
    });
    const watch = watchChannel(subscriber, CHANNEL);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.channel(CHANNEL).ready();

    const cutOf = { publisher: 0, subscriber: 0 };
    const chaos = startChaos(random, 1_000, 2_000, () => {
      const pick = random();
      if (pick < 2 / 3) {
        cutOf.subscriber++;
        subscriberLink.cut();
      }
      if (pick >= 1 / 3) {
        cutOf.publisher++;
        publisherLink.cut();
      }
    });
    const sent = range(CHAOS_MESSAGES);
    const publishes: Array<Promise<void>> = [];
    try {
      await pace({
        total: CHAOS_MESSAGES,
        ratePerSecond: CHAOS_RATE,
        chunk: 10,
        step: queuePublishes(publisher, CHANNEL, run, publishes),
        backlog: () => publisher.queue.getSnapshot().size,
        maxBacklog: 800,
      });
    } finally {
      chaos.stop();
    }
    const rejected = await rejectedPublishes(publishes);
    await settle(
      'every message at the subscriber',
      () => new Set(watch.received).size >= CHAOS_MESSAGES,
      60_000,
    );
    await sleep(300);

    const result = tally(sent, watch.received);
    record({
      scenario: 'chaos: link cut every 1–2 s',
      provider: 'ably',
      ...result,
      note: `seed ${seed}; ${chaos.cuts} cuts (publisher ${cutOf.publisher}, subscriber ${cutOf.subscriber}); subscriber reconnected ${watch.reconnects()}×; ${watch.discontinuities.length} discontinuities; ${rejected} publishes rejected`,
    });
    expect(cutOf.subscriber).toBeGreaterThan(0);
    expect(watch.reconnects()).toBeGreaterThan(0);
    expect(rejected).toBe(0);
    expect(watch.discontinuities).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });

  it('pusher: every reconnect signals a discontinuity; nothing lost outside one, nothing duplicated or reordered', async () => {
    const seed = chaosSeed();
    console.log(`[chaos pusher] seed ${seed} (replay with PATCHBAY_CHAOS_SEED=${seed})`);
    const random = seededRandom(seed);
    const run = `pusher-chaos-${seed}`;
    const rig = await startPusher(teardown);
    const subscriberLink = await proxyTo(teardown, rig.emulator.port);
    const subscriber = pusherClient(teardown, rig, {
      clientId: 'chaos-sub',
      port: subscriberLink.port,
    });
    // The server SDK publishes over HTTP straight to the emulator; only the subscriber's link is cut.
    let published = 0;
    const watch = watchChannel(subscriber, CHANNEL, () => published);
    await subscriber.connect();
    await subscriber.channel(CHANNEL).ready();

    let cutsWhileLive = 0;
    const chaos = startChaos(random, 1_000, 2_000, () => {
      if (watch.live()) cutsWhileLive++;
      subscriberLink.cut();
    });
    const sent = range(CHAOS_MESSAGES);
    try {
      await pace({
        total: CHAOS_MESSAGES,
        ratePerSecond: CHAOS_RATE,
        chunk: 10,
        step: async (from, to) => {
          published = to;
          await triggerRange(rig.server, CHANNEL, run, from, to);
        },
      });
    } finally {
      chaos.stop();
    }
    // A fence after the last message: once it arrives, everything before it arrived or was lost.
    const settled =
      (await settle('the subscriber live again', () => watch.live(), 20_000)) &&
      (await settle(
        'the fence message',
        () => {
          void triggerRange(rig.server, CHANNEL, run, CHAOS_MESSAGES, CHAOS_MESSAGES + 1).catch(
            () => {},
          );
          return watch.received.includes(CHAOS_MESSAGES);
        },
        20_000,
      ));
    await sleep(200);

    const received = watch.received.filter((n) => n < CHAOS_MESSAGES);
    const result = tally(sent, received);
    const unsignalled = watch.unsignalledLoss(sent);
    const openGaps = watch.gaps.filter((gap) => gap.until === undefined).length;
    record({
      scenario: 'chaos: link cut every 1–2 s',
      provider: 'pusher',
      ...result,
      note: `seed ${seed}; ${chaos.cuts} cuts (${cutsWhileLive} while subscribed); ${watch.reconnects()} reconnects; ${watch.discontinuities.length} discontinuities; lost all inside signalled gaps: ${unsignalled.length === 0 ? 'yes' : `no (${unsignalled.length} outside)`}`,
    });
    expect(settled).toBe(true);
    expect(cutsWhileLive).toBeGreaterThan(0);
    expect(watch.discontinuities.length).toBeGreaterThanOrEqual(cutsWhileLive);
    expect(watch.discontinuities.length).toBeLessThanOrEqual(watch.reconnects());
    expect(watch.discontinuities.every((d) => d.reason === 'provider-cannot-replay')).toBe(true);
    expect(openGaps).toBe(0);
    expect(unsignalled).toEqual([]);
    expect(result).toMatchObject({ duplicated: 0, reordered: 0 });
  });
});

describe('delay: 30 ms each way, 1 000 messages', () => {
  const DELAYED = 1_000;

  it('ably: exactly once, in order', async () => {
    const emulator = await startAbly(teardown);
    const publisherLink = await proxyTo(teardown, emulator.port);
    const subscriberLink = await proxyTo(teardown, emulator.port);
    publisherLink.delay(30);
    subscriberLink.delay(30);
    const publisher = ablyClient(teardown, emulator, {
      clientId: 'delay-pub',
      port: publisherLink.port,
    });
    const subscriber = ablyClient(teardown, emulator, {
      clientId: 'delay-sub',
      port: subscriberLink.port,
    });
    const watch = watchChannel(subscriber, 'delayed');
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.channel('delayed').ready();

    const publishes: Array<Promise<void>> = [];
    queuePublishes(publisher, 'delayed', 'ably-delay', publishes)(0, DELAYED);
    const rejected = await rejectedPublishes(publishes);
    await settle('every delayed message', () => new Set(watch.received).size >= DELAYED, 30_000);
    await sleep(200);

    const result = tally(range(DELAYED), watch.received);
    record({
      scenario: 'delay: 30 ms each way',
      provider: 'ably',
      ...result,
      note: `${watch.drops()} drops; ${watch.discontinuities.length} discontinuities; ${rejected} publishes rejected`,
    });
    expect(rejected).toBe(0);
    expect(watch.discontinuities).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });

  it('pusher: no gap signalled, so nothing lost, duplicated or reordered', async () => {
    const rig = await startPusher(teardown);
    const subscriberLink = await proxyTo(teardown, rig.emulator.port);
    subscriberLink.delay(30);
    const subscriber = pusherClient(teardown, rig, {
      clientId: 'delay-sub',
      port: subscriberLink.port,
    });
    const watch = watchChannel(subscriber, 'delayed');
    await subscriber.connect();
    await subscriber.channel('delayed').ready();

    for (let from = 0; from < DELAYED; from += 10) {
      await triggerRange(rig.server, 'delayed', 'pusher-delay', from, from + 10);
    }
    await settle('every delayed message', () => new Set(watch.received).size >= DELAYED, 30_000);
    await sleep(200);

    const result = tally(range(DELAYED), watch.received);
    record({
      scenario: 'delay: 30 ms each way',
      provider: 'pusher',
      ...result,
      note: `${watch.drops()} drops; ${watch.discontinuities.length} discontinuities`,
    });
    expect(watch.discontinuities).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });
});

describe('chaos: cut while a gap is being recovered', () => {
  it('ably: the interrupted replay is redone on the next link — nothing lost, no discontinuity', async () => {
    const MISSED = 500;
    // Members leave as soon as their link dies (Ably's remainPresentFor: 0) and the subscriber is
    // one, so Ably cannot resume the channel: the re-attach is the case where history is read.
    const emulator = await startAbly(teardown, { remainPresentForMs: 0 });
    const subscriberLink = await proxyTo(teardown, emulator.port);
    const subscriber = ablyClient(teardown, emulator, {
      clientId: 'replay-sub',
      port: subscriberLink.port,
    });
    const channel = subscriber.channel('replay');
    const watch = watchChannel(subscriber, 'replay');
    await subscriber.connect();
    await channel.ready();
    await channel.presence.enter({ reading: true });
    const publish = (n: number) =>
      emulator.publish('replay', { name: 'm', data: { n }, id: `replay-${n}` });
    publish(0);
    await settle('the first message', () => watch.received.length === 1, 10_000);

    // Down while MISSED messages are published, then back over a slow link, so the history
    // read that recovers them (five pages) is still running when the link is cut again.
    subscriberLink.refuse(true);
    subscriberLink.cut();
    await settle('the link down', () => !watch.live(), 10_000);
    for (let n = 1; n <= MISSED; n++) publish(n);
    subscriberLink.delay(100);
    subscriberLink.refuse(false);
    await settle(
      'the re-attach reaching the emulator',
      () => emulator.subscriberCount('replay') > 0,
      20_000,
    );
    await sleep(400);
    const stateAtCut = channel.state.getSnapshot().state;
    const receivedAtCut = watch.received.length;
    subscriberLink.cut();
    subscriberLink.delay(0);
    for (let n = MISSED + 1; n <= MISSED + 10; n++) publish(n);
    await settle('every message', () => new Set(watch.received).size >= MISSED + 11, 20_000);
    await sleep(200);

    const result = tally(range(MISSED + 11), watch.received);
    record({
      scenario: 'chaos: cut during history recovery',
      provider: 'ably',
      ...result,
      note: `cut while the channel was ${stateAtCut} with ${receivedAtCut - 1} of ${MISSED} missed messages replayed; ${watch.reconnects()} reconnects; ${watch.discontinuities.length} discontinuities`,
    });
    expect(stateAtCut).toBe('attaching');
    expect(watch.discontinuities).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });
});
