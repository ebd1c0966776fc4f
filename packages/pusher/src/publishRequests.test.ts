import type { RealtimeClient } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createPusherHarness } from './testHarness.js';

// The real pusher-js and pusher SDK against the emulator; only the client's fetch to the app's
// publish endpoint is slowed down or held, the way a slow or stuck app server would behave.

const isPublish = (input: RequestInfo | URL) => String(input).includes('/pusher/publish');

/** Resolves after `ms`, or rejects with the signal's reason if it aborts first. */
function delay(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

describe('publish requests to the app endpoint', () => {
  let teardown: (() => Promise<void>) | undefined;
  const clients: RealtimeClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await teardown?.();
  });

  async function pair(
    fetch: typeof globalThis.fetch,
    requestTimeoutMs: number,
    publishTimeoutMs?: number,
  ) {
    const harness = createPusherHarness({
      publish: 'endpoint',
      transport: { requestTimeoutMs, fetch },
    });
    await harness.setup?.();
    teardown = async () => harness.teardown?.();
    const publisher = await harness.createClient({
      clientId: 'pub',
      ...(publishTimeoutMs !== undefined ? { publishTimeoutMs } : {}),
    });
    const subscriber = await harness.createClient({ clientId: 'sub' });
    clients.push(publisher, subscriber);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const seen: unknown[] = [];
    const channel = subscriber.channel('orders');
    channel.subscribe((message) => seen.push(message.data));
    await channel.ready();
    return { publisher, seen };
  }

  it('a request that gets no answer times out and the message is sent again, once', async () => {
    const reasons: string[] = [];
    let held = 0;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (isPublish(input) && held++ === 0) {
        // The first publish request never gets an answer.
        await delay(60_000, init?.signal).catch((reason: Error) => {
          reasons.push(reason.name);
          throw reason;
        });
      }
      return globalThis.fetch(input, init);
    };
    const { publisher, seen } = await pair(fetch, 300);
    await publisher.channel('orders').publish('placed', { n: 1 });
    await waitFor('delivery', () => seen.length === 1);
    expect(reasons).toEqual(['TimeoutError']);
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('the timeout counts from when a request starts, not while it waits behind others', async () => {
    const reasons: string[] = [];
    // Each request takes 150 ms; five queued ones take 750 ms, well past the 400 ms timeout,
    // but none of them alone is slow.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (isPublish(input)) {
        await delay(150, init?.signal).catch((reason: Error) => {
          reasons.push(reason.name);
          throw reason;
        });
      }
      return globalThis.fetch(input, init);
    };
    const { publisher, seen } = await pair(fetch, 400);
    const channel = publisher.channel('orders');
    await Promise.all([1, 2, 3, 4, 5].map((n) => channel.publish('placed', { n })));
    await waitFor('five deliveries', () => seen.length === 5);
    expect(reasons).toEqual([]);
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
  });

  it('a burst to a slow endpoint is acknowledged in full: the ack timeout measures each request, not its wait in line', async () => {
    // 20 publishes at 150 ms per request take 3 s in all; each request alone is well inside the
    // 1 s publish timeout. Core hands the transport one publish at a time (maxPublishesInFlight 1).
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (isPublish(input)) await delay(150, init?.signal);
      return globalThis.fetch(input, init);
    };
    const { publisher, seen } = await pair(fetch, 10_000, 1_000);
    const channel = publisher.channel('orders');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) => channel.publish('placed', { n })),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    await waitFor('twenty deliveries', () => seen.length === 20, { timeoutMs: 10_000 });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
  });
});
