import { AuthError, type RealtimeClient } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocketIOHarness } from './hubHarness.js';

const harness = createSocketIOHarness({ transports: ['websocket'] });
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

// The subscriber's side of a mid-stream cut is in the conformance suite (recovery).
describe('socketio: a link cut mid-stream', () => {
  it('the publisher’s link cut mid-burst still delivers every message once, in order', async () => {
    const publisher = await connected('burst-publisher');
    const subscriber = await connected('burst-subscriber');
    const received: number[] = [];
    subscriber.channel('burst').subscribe('n', (m) => received.push(m.data as number));
    await subscriber.channel('burst').ready();
    const total = 200;
    const sent = Array.from({ length: total }, (_, n) =>
      publisher.channel('burst').publish('n', n),
    );
    await waitFor('the burst to start arriving', () => received.length > 0);
    await harness.dropLink(publisher);
    await Promise.all(sent);
    await waitFor('all messages', () => received.length >= total, { timeoutMs: 10_000 });
    expect(received).toEqual(Array.from({ length: total }, (_, n) => n));
  });
});

describe('socketio: refusals surface as AuthError', () => {
  it('subscribe, publish and presence on a forbidden channel reject with AuthError instances', async () => {
    const client = await connected('forbidden-user');
    const restore = await harness.rejectAuth({ clientId: 'forbidden-user', channel: 'vault' });
    try {
      client.channel('vault').subscribe(() => {});
      await expect(client.channel('vault').ready()).rejects.toBeInstanceOf(AuthError);
      await expect(client.channel('vault').publish('e', 1)).rejects.toBeInstanceOf(AuthError);
      await expect(client.channel('vault').presence.enter({})).rejects.toBeInstanceOf(AuthError);
      expect(client.connection.getSnapshot().state).toBe('connected');
    } finally {
      restore();
    }
  });
});
