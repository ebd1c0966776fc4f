import { waitFor } from '@patchbay/realtime-testkit';
import Pusher from 'pusher-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPusherHarness } from './testHarness.js';

/** The runtime's shared network-event callback lists, where pusher-js binds every client. */
const networkBindings = (): number => {
  const lists = (
    Pusher as unknown as {
      Runtime: { getNetwork(): { callbacks: { _callbacks: Record<string, unknown[]> } } };
    }
  ).Runtime.getNetwork().callbacks._callbacks;
  return Object.values(lists).reduce((sum, list) => sum + list.length, 0);
};
const instances = () => (Pusher as unknown as { instances: unknown[] }).instances.length;

describe('pusher: closed and failed connections leave no pusher-js client behind', () => {
  const harness = createPusherHarness({ publish: 'endpoint' });
  beforeAll(() => harness.setup?.());
  afterAll(() => harness.teardown?.());

  it('100 connect/close cycles and a failed attempt end with the same instances and network bindings', async () => {
    const baseline = { instances: instances(), bindings: networkBindings() };
    for (let i = 0; i < 100; i++) {
      const client = await harness.createClient({ clientId: `cycle-${i}` });
      await client.connect();
      const channel = client.channel('room');
      const release = channel.hold();
      await channel.ready();
      release();
      client.close();
    }
    // A refused attempt (server down) abandons its client too.
    await harness.stopServer();
    const failing = await harness.createClient({
      clientId: 'refused',
      reconnect: { baseDelayMs: 50, maxDelayMs: 100 },
    });
    void failing.connect().catch(() => {});
    await waitFor('a failed attempt', () => failing.connection.getSnapshot().attempt >= 2);
    failing.close();
    await harness.startServer();
    // Abandoned clients are released a microtask after their last disconnect.
    await waitFor('released clients', () => instances() === baseline.instances);
    expect(networkBindings()).toBe(baseline.bindings);
  });
});
