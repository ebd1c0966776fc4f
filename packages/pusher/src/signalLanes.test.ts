import type { PresenceEvent, RealtimeClient } from '@patchbay/realtime-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPusherHarness } from './testHarness.js';

// Pusher rate-limits client events per connection. Signals (typing, emulated presence updates)
// state what is true now, so while they wait for the rate limit (or a reconnect) a newer one
// replaces an unsent one of its kind: receivers converge on the latest state and nothing piles up.
describe('pusher signals waiting on the rate limit', () => {
  const harness = createPusherHarness({
    publish: 'endpoint',
    transport: { clientEventsPerSecond: 1 },
  });
  const clients: RealtimeClient[] = [];
  const connected = async (clientId: string) => {
    const client = await harness.createClient({ clientId });
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeAll(() => harness.setup?.());
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => harness.teardown?.());

  it('a burst of presence updates reaches others as the latest data, not as a backlog', async () => {
    const bob = await connected('lane-bob');
    const alice = await connected('lane-alice');
    const events: PresenceEvent[] = [];
    bob.channel('lanes').presence.onEvent((event) => events.push(event));
    await bob.channel('lanes').ready();
    await alice.channel('lanes').presence.enter({ v: 0 });
    const watched = () =>
      bob
        .channel('lanes')
        .presence.getSnapshot()
        .map((m) => m.data);
    await expect.poll(watched).toEqual([{ v: 0 }]);
    for (let v = 1; v <= 8; v++) await alice.channel('lanes').presence.update({ v });
    await expect.poll(watched, { timeout: 6_000 }).toEqual([{ v: 8 }]);
    const updates = events.filter((e) => e.type === 'update');
    // At 1 event per second, eight queued updates would take eight seconds to drain.
    expect(updates.length).toBeLessThanOrEqual(3);
  });
});
