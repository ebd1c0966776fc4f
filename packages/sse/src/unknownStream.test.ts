import type { ConnectionState } from '@patchbay/realtime-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseHarness } from './sseHarness.js';

// A hub answers 410 to a request naming a stream it does not know: behind a load balancer that
// sends the POSTs of a stream to another process (one that cannot route them to the stream's
// owner), or after the stream's process died. The client must open a new stream, not keep
// retrying requests the hub will always refuse while looking connected.

/** Requests of the first stream opened go out naming a stream the hub never had. */
function firstStreamUnknown() {
  let first: string | undefined;
  let refused = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const connection = headers.get('x-patchbay-connection');
    if (connection !== null) {
      first ??= connection;
      if (connection === first) headers.set('x-patchbay-connection', 'unknown-stream');
    }
    const response = await fetch(input, { ...init, headers });
    if (response.status === 410) refused++;
    return response;
  };
  return { fetchImpl, refused: () => refused };
}

const unknown = firstStreamUnknown();
const harness = createSseHarness({
  mount: 'fetch',
  heartbeatMs: 1_000,
  transport: { fetch: unknown.fetchImpl },
});

beforeAll(() => harness.setup?.());
afterAll(() => harness.teardown?.());

describe('a stream the hub does not know (410)', () => {
  it('ends the link like a dropped stream: the client reconnects and the channel attaches on the new stream', async () => {
    const client = await harness.createClient({
      clientId: 'reader',
      reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
    });
    const states: ConnectionState[] = [];
    client.connection.subscribe(() => states.push(client.connection.getSnapshot().state));
    const received: unknown[] = [];
    try {
      await client.connect();
      const channel = client.channel('news');
      channel.subscribe('headline', (message) => {
        received.push(message.data);
      });
      await expect
        .poll(() => channel.state.getSnapshot().state, { timeout: 5_000 })
        .toBe('attached');
      expect(unknown.refused()).toBeGreaterThanOrEqual(1);
      expect(states).toContain('reconnecting');
      expect(client.connection.getSnapshot().state).toBe('connected');
      await harness.serverPublish('news', 'headline', { n: 1 });
      await expect.poll(() => received).toEqual([{ n: 1 }]);
    } finally {
      await client.close();
    }
  });
});
