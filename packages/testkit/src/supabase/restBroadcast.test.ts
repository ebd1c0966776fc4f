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

function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${emulator.httpUrl}/realtime/v1/api/broadcast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const asService = () => ({
  apikey: emulator.serviceKey,
  authorization: `Bearer ${emulator.serviceKey}`,
});

describe('Supabase emulator: REST broadcast', () => {
  it('POST /realtime/v1/api/broadcast answers 202 and reaches the subscribers', async () => {
    const channel = clients.client().channel('orders');
    const got: unknown[] = [];
    channel.on('broadcast', { event: 'created' }, (m) => got.push(m));
    const statuses = subscribe(channel);
    await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);

    const response = await post(
      { messages: [{ topic: 'orders', event: 'created', payload: { id: 7 } }] },
      asService(),
    );
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    await expect
      .poll(() => got)
      .toEqual([{ event: 'created', payload: { id: 7 }, type: 'broadcast' }]);
  });

  it('refuses a request without a valid key with 401 Unauthorized', async () => {
    const response = await post({ messages: [] }, { authorization: 'Bearer nope' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
  });

  it('answers a malformed batch with 422 and Ecto-style errors', async () => {
    const missing = await post({}, asService());
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({ errors: { messages: ["can't be blank"] } });
    const bad = await post(
      {
        messages: [
          { topic: 't', event: 'e', payload: {} },
          { topic: 't', payload: 'text' },
        ],
      },
      asService(),
    );
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({
      errors: { messages: [{}, { event: ["can't be blank"], payload: ['is invalid'] }] },
    });
  });

  it('drops a private message the sender may not write, still answering 202', async () => {
    const listener = clients.client().channel('payroll', { config: { private: true } });
    await listener.socket.setAuth(await emulator.signToken({ sub: 'hr' }));
    const got: unknown[] = [];
    listener.on('broadcast', { event: '*' }, (m) => got.push(m.payload));
    const statuses = subscribe(listener);
    await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);

    const anon = await post(
      { messages: [{ topic: 'payroll', event: 'leak', payload: { n: 1 }, private: true }] },
      { apikey: emulator.anonKey },
    );
    expect(anon.status).toBe(202);
    const service = await post(
      { messages: [{ topic: 'payroll', event: 'run', payload: { n: 2 }, private: true }] },
      asService(),
    );
    expect(service.status).toBe(202);
    // Both went down the same path in order: only the service's arrives.
    await expect.poll(() => got).toEqual([{ n: 2 }]);
  });

  it("realtime-js's httpSend() reaches subscribers through the single-message endpoint", async () => {
    const sender = clients.client().channel('alerts');
    const listener = clients.client().channel('alerts');
    const got: unknown[] = [];
    listener.on('broadcast', { event: 'fire' }, (m) => got.push(m.payload));
    const statuses = subscribe(listener);
    await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
    expect(await sender.httpSend('fire', { floor: 3 })).toEqual({ success: true });
    await expect.poll(() => got).toEqual([{ floor: 3 }]);
  });
});

describe('Supabase emulator: broadcast replay (private channels)', () => {
  it('replays stored messages since a time on join, marked replayed, and not twice', async () => {
    const since = Date.now();
    emulator.publish('journal', 'entry', { n: 1 }, { private: true });
    emulator.publish('journal', 'entry', { n: 2 }, { private: true });
    const realtime = clients.client();
    await realtime.setAuth(await emulator.signToken({ sub: 'reader' }));
    const channel = realtime.channel('journal', {
      config: { private: true, broadcast: { replay: { since, limit: 10 } } },
    });
    const got: unknown[] = [];
    channel.on('broadcast', { event: 'entry' }, (m) =>
      got.push({ payload: m.payload, replayed: m.meta?.replayed === true }),
    );
    const statuses = subscribe(channel);
    await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);
    await expect
      .poll(() => got)
      .toEqual([
        { payload: { n: 1 }, replayed: true },
        { payload: { n: 2 }, replayed: true },
      ]);
    emulator.publish('journal', 'entry', { n: 3 }, { private: true });
    await expect.poll(() => got.at(-1)).toEqual({ payload: { n: 3 }, replayed: false });
    expect(got).toHaveLength(3);
  });
});
