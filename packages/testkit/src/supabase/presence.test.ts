import type { RealtimeChannel } from '@supabase/realtime-js';
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

/** A connection whose API key names it, so `connections()` can find it. */
async function connection(name: string) {
  const apikey = await emulator.signToken({ role: 'anon', sub: name });
  return clients.client({ params: { apikey } });
}

/**
 * Presence as the join/leave events describe it: key → payloads of its live presences. (Not
 * `presenceState()`: realtime-js's join callback rewrites the metas already in its state, dropping
 * their `phx_ref`, so once a second presence joins a key it can no longer remove the first one.
 * The same happens against Supabase.)
 */
function watchPresence(channel: RealtimeChannel): () => Record<string, string[]> {
  const live = new Map<string, Map<string, string>>();
  channel.on('presence', { event: 'join' }, ({ key, newPresences }) => {
    const refs = live.get(key) ?? new Map<string, string>();
    for (const p of newPresences) refs.set(p.presence_ref, String(p.device));
    live.set(key, refs);
  });
  channel.on('presence', { event: 'leave' }, ({ key, leftPresences }) => {
    for (const p of leftPresences) live.get(key)?.delete(p.presence_ref);
    if (live.get(key)?.size === 0) live.delete(key);
  });
  return () =>
    Object.fromEntries(
      [...live.entries()]
        .map(([key, refs]) => [key, [...refs.values()].sort()] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
}

describe('Supabase emulator: presence with the real realtime-js', () => {
  it('tracks two connections under one key, each its own presence, and untracks one', async () => {
    const observer = (await connection('observer')).channel('desk');
    const members = watchPresence(observer);
    const phone = (await connection('alice-phone')).channel('desk', {
      config: { presence: { key: 'alice' } },
    });
    const laptop = (await connection('alice-laptop')).channel('desk', {
      config: { presence: { key: 'alice' } },
    });
    for (const channel of [observer, phone, laptop]) {
      const statuses = subscribe(channel);
      await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
    }

    expect(await phone.track({ device: 'phone' })).toBe('ok');
    expect(await laptop.track({ device: 'laptop' })).toBe('ok');
    await expect.poll(members).toEqual({ alice: ['laptop', 'phone'] });

    expect(await phone.untrack()).toBe('ok');
    await expect.poll(members).toEqual({ alice: ['laptop'] });
  });

  it('a late joiner gets presence_state, and an update replaces the meta in one diff', async () => {
    const tracker = (await connection('t')).channel('lounge', {
      config: { presence: { key: 'bob' } },
    });
    subscribe(tracker);
    await expect.poll(() => tracker.state).toBe('joined');
    expect(await tracker.track({ device: 'v1' })).toBe('ok');

    const late = (await connection('late')).channel('lounge');
    const members = watchPresence(late);
    const events: string[] = [];
    late.on('presence', { event: '*' }, (change) => events.push(change?.event ?? 'sync'));
    subscribe(late);
    await expect.poll(members).toEqual({ bob: ['v1'] });

    events.length = 0;
    expect(await tracker.track({ device: 'v2' })).toBe('ok');
    await expect.poll(members).toEqual({ bob: ['v2'] });
    // One diff: the new meta joins and the old one leaves, then one sync.
    await expect.poll(() => events).toEqual(['join', 'leave', 'sync']);
  });

  it('a dropped socket leaves presence at once', async () => {
    const observer = (await connection('watcher')).channel('hall');
    const members = watchPresence(observer);
    const leaver = (await connection('leaver')).channel('hall', {
      config: { presence: { key: 'carol' } },
    });
    subscribe(observer);
    subscribe(leaver);
    await expect.poll(() => leaver.state).toBe('joined');
    expect(await leaver.track({ device: 'tab' })).toBe('ok');
    await expect.poll(members).toEqual({ carol: ['tab'] });

    const id = emulator.connections().find((c) => c.sub === 'leaver')?.connectionId as string;
    emulator.drop(id);
    await expect.poll(members).toEqual({});
  });

  it('closes a channel that sends more presence messages than Supabase allows', async () => {
    const limited = await createSupabaseEmulator({
      presenceRateLimit: { maxCalls: 2, windowMs: 60_000 },
    });
    try {
      const channel = clients.client({}, limited).channel('busy');
      const system: unknown[] = [];
      channel.on('system', {}, (payload) => system.push(payload));
      const statuses = subscribe(channel);
      await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
      expect(await channel.track({ n: 1 })).toBe('ok');
      expect(await channel.track({ n: 2 })).toBe('ok');
      void channel.track({ n: 3 });
      await expect.poll(() => statuses.at(-1)).toEqual({ status: 'CLOSED' });
      expect(system).toEqual([
        {
          channel: 'busy',
          extension: 'system',
          message: 'Client presence rate limit exceeded',
          status: 'error',
        },
      ]);
    } finally {
      await limited.close();
    }
  });
});
