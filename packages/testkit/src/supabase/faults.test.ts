import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSupabaseEmulator, type SupabaseEmulator } from './createSupabaseEmulator.js';
import { subscribe, testClients } from './internal/testClients.js';

let emulator: SupabaseEmulator;
const clients = testClients(() => emulator);

beforeAll(async () => {
  emulator = await createSupabaseEmulator();
});
afterEach(() => clients.closeAll());
afterAll(() => emulator.close());

/** A joined channel that records the payloads of `event` broadcasts. */
async function listening(options: Parameters<typeof clients.client>[0] = {}, topic = 'ops') {
  const channel = clients.client(options).channel(topic);
  const got: unknown[] = [];
  channel.on('broadcast', { event: 'tick' }, (m) => got.push(m.payload));
  const statuses = subscribe(channel);
  await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
  return { channel, got, statuses };
}

describe('Supabase emulator fault injection', () => {
  it('after drop() realtime-js reconnects and rejoins by itself (default options)', async () => {
    const { got, statuses } = await listening();
    emulator.drop();
    await expect
      .poll(() => statuses.map((s) => s.status), { timeout: 15_000 })
      .toEqual(['SUBSCRIBED', 'CHANNEL_ERROR', 'SUBSCRIBED']);
    emulator.publish('ops', 'tick', { n: 1 });
    await expect.poll(() => got).toEqual([{ n: 1 }]);
    expect(emulator.subscriberCount('ops')).toBe(1);
  });

  it('rejectAuth on join refuses with the RLS reason until released; the channel then rejoins', async () => {
    const release = emulator.rejectAuth({ stage: 'join', topic: 'guarded' });
    const channel = clients.client().channel('guarded');
    const statuses = subscribe(channel);
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error: 'Unauthorized: You do not have permissions to read from this Channel topic: guarded',
      });
    release();
    // Phoenix's rejoin timer retries the join by itself.
    await expect.poll(() => statuses.at(-1), { timeout: 15_000 }).toEqual({ status: 'SUBSCRIBED' });
  });

  it('rejectAuth on connect refuses the upgrade until released', async () => {
    const release = emulator.rejectAuth({ stage: 'connect', role: 'anon' });
    const realtime = clients.client({ reconnectAfterMs: () => 50 });
    const statuses = subscribe(realtime.channel('ops'));
    await expect.poll(() => statuses[0]?.status).toBe('CHANNEL_ERROR');
    expect(emulator.connections()).toEqual([]);
    release();
    await expect.poll(() => statuses.at(-1), { timeout: 15_000 }).toEqual({ status: 'SUBSCRIBED' });
  });

  it('a blackholed socket misses heartbeats; realtime-js reconnects on a fresh one', async () => {
    const { got } = await listening({ heartbeatIntervalMs: 100, reconnectAfterMs: () => 50 });
    const [first] = emulator.connections();
    emulator.blackhole(first?.connectionId as string);
    await expect
      .poll(() =>
        emulator
          .connections()
          .filter((c) => c.topics.length > 0 && c.connectionId !== first?.connectionId),
      )
      .toHaveLength(1);
    emulator.publish('ops', 'tick', { after: 'blackhole' });
    await expect.poll(() => got).toEqual([{ after: 'blackhole' }]);
  });

  it('stop() then start() on the same port: realtime-js comes back and rejoins', async () => {
    const { got } = await listening({ reconnectAfterMs: () => 50 });
    const port = emulator.port;
    await emulator.stop();
    expect(emulator.subscriberCount('ops')).toBe(0);
    await emulator.start();
    expect(emulator.port).toBe(port);
    await expect.poll(() => emulator.subscriberCount('ops'), { timeout: 15_000 }).toBe(1);
    emulator.publish('ops', 'tick', { n: 'back' });
    await expect.poll(() => got).toEqual([{ n: 'back' }]);
  });

  it('a restart keeps stored replay messages unless stop({ clearState: true })', async () => {
    emulator.publish('archive', 'tick', { kept: true }, { private: true });
    await emulator.stop();
    await emulator.start();
    const replayed = async () => {
      const realtime = clients.client();
      await realtime.setAuth(await emulator.signToken({ sub: 'archivist' }));
      const channel = realtime.channel('archive', {
        config: { private: true, broadcast: { replay: { since: 0 } } },
      });
      const got: unknown[] = [];
      channel.on('broadcast', { event: 'tick' }, (m) => got.push(m.payload));
      const statuses = subscribe(channel);
      await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
      // A service publish after the join marks the end of what the join replayed.
      emulator.publish('archive', 'tick', { marker: true }, { private: true, store: false });
      await expect.poll(() => got.at(-1)).toEqual({ marker: true });
      return got.slice(0, -1);
    };
    expect(await replayed()).toEqual([{ kept: true }]);
    await emulator.stop({ clearState: true });
    await emulator.start();
    expect(await replayed()).toEqual([]);
  });
});
