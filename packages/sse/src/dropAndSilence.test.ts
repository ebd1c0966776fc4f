import type { RealtimeClient } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseHarness } from './sseHarness.js';

const harness = createSseHarness({ mount: 'node', heartbeatMs: 100 });
const clients: RealtimeClient[] = [];

beforeAll(() => harness.setup?.());
afterAll(async () => {
  for (const client of clients) client.close();
  await harness.teardown?.();
});

async function connected(clientId: string): Promise<RealtimeClient> {
  const client = await harness.createClient({
    clientId,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
  });
  clients.push(client);
  await client.connect();
  return client;
}

describe('sse: a stream cut mid-burst', () => {
  it('after the reconnect every message has arrived once, in order', async () => {
    const publisher = await connected('burst-publisher');
    const subscriber = await connected('burst-subscriber');
    const received: number[] = [];
    subscriber.channel('burst').subscribe('n', (m) => received.push(m.data as number));
    await subscriber.channel('burst').ready();

    const total = 300;
    let cut = false;
    const sent = Array.from({ length: total }, (_, n) =>
      publisher.channel('burst').publish('n', n),
    );
    await waitFor('the burst to be under way', () => received.length >= 30);
    const before = received.length;
    await harness.dropLink(subscriber);
    cut = true;
    await Promise.all(sent);
    await waitFor('all messages', () => received.length >= total, { timeoutMs: 10_000 });
    expect(cut && before < total).toBe(true);
    expect(received).toEqual(Array.from({ length: total }, (_, n) => n));
  });
});

describe('sse: silence detection', () => {
  it('a stream that goes silent (no events, no heartbeats) longer than the limit is reconnected', async () => {
    // Heartbeats every 100 ms, so 2.5 × 100 ms of silence is the limit.
    const client = await connected('silent-user');
    const received: string[] = [];
    client.channel('quiet').subscribe('note', (m) => received.push(m.data as string));
    await client.channel('quiet').ready();
    const before = client.connection.getSnapshot().connectionId;
    const states: string[] = [];
    client.connection.subscribe(() => states.push(client.connection.getSnapshot().state));

    // A proxy that holds the stream open but passes nothing: the hub session goes mute.
    const { connectionId } = client.connection.getSnapshot();
    const session = harness.hub.session(connectionId as string);
    if (!session) throw new Error('no session');
    session.blackholed = true;

    await waitFor('a new connection', () => {
      const now = client.connection.getSnapshot();
      return now.state === 'connected' && now.connectionId !== before;
    });
    expect(states).toContain('reconnecting');
    expect(client.connection.getSnapshot().error).toBeUndefined();
    await client.channel('quiet').ready();
    await harness.serverPublish('quiet', 'note', 'after the silence');
    await waitFor('delivery on the new stream', () => received.includes('after the silence'));
  });
});
