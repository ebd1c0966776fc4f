import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createSupabaseEmulator, type SupabaseEmulator } from './createSupabaseEmulator.js';
import { subscribe, testClients } from './internal/testClients.js';

let emulator: SupabaseEmulator;
const clients = testClients(() => emulator);

beforeAll(async () => {
  emulator = await createSupabaseEmulator({
    // RLS for the tests: signed-in users, except on "vault"; presence only on "presence-*".
    authorize: (claims, topic, action) =>
      claims.role === 'authenticated' &&
      topic !== 'vault' &&
      (action.startsWith('broadcast') || topic.startsWith('presence-')),
  });
});
afterEach(() => clients.closeAll());
afterAll(() => emulator.close());

/**
 * A client whose access token (sent in phx_join) is `token`, set before any join: with only an
 * `accessToken` callback, realtime-js's first join can leave before the token is fetched.
 */
async function withToken(token: string) {
  const realtime = clients.client();
  await realtime.setAuth(token);
  return realtime;
}

const wrongSecret = new TextEncoder().encode('not-the-project-secret-not-the-project-secret');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('Supabase emulator: private channels and JWTs', () => {
  it('a signed-in user joins a private channel and broadcasts to another', async () => {
    const alice = (await withToken(await emulator.signToken({ sub: 'alice' }))).channel('team', {
      config: { private: true, broadcast: { ack: true } },
    });
    const bob = (await withToken(await emulator.signToken({ sub: 'bob' }))).channel('team', {
      config: { private: true },
    });
    const got: unknown[] = [];
    bob.on('broadcast', { event: 'note' }, (m) => got.push(m.payload));
    const aliceStatus = subscribe(alice);
    const bobStatus = subscribe(bob);
    await expect
      .poll(() => [aliceStatus, bobStatus])
      .toEqual([[{ status: 'SUBSCRIBED' }], [{ status: 'SUBSCRIBED' }]]);
    expect(emulator.subscriberCount('team', { private: true })).toBe(2);
    expect(emulator.subscriberCount('team', { private: false })).toBe(0);

    expect(await alice.send({ type: 'broadcast', event: 'note', payload: { secret: 42 } })).toBe(
      'ok',
    );
    await expect.poll(() => got).toEqual([{ secret: 42 }]);
  });

  it('the anon key alone is refused on a private channel, as RLS refuses it', async () => {
    const statuses = subscribe(clients.client().channel('team', { config: { private: true } }));
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error: 'Unauthorized: You do not have permissions to read from this Channel topic: team',
      });
  });

  it('the authorize hook decides per topic', async () => {
    const token = await emulator.signToken({ sub: 'carol' });
    const statuses = subscribe(
      (await withToken(token)).channel('vault', { config: { private: true } }),
    );
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error: 'Unauthorized: You do not have permissions to read from this Channel topic: vault',
      });
  });

  it('refuses an unsigned JWT (alg none) as Supabase does', async () => {
    const unsigned = new UnsecuredJWT({ role: 'authenticated', exp: inAnHour() }).encode();
    const statuses = subscribe(
      (await withToken(unsigned)).channel('team', { config: { private: true } }),
    );
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error:
          'JwtSignerError: Failed to generate JWT signer, check your JWT secret or JWKS configuration',
      });
  });

  it('refuses a JWT signed with another secret', async () => {
    const forged = await new SignJWT({ role: 'authenticated', exp: inAnHour() })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(wrongSecret);
    const statuses = subscribe(
      (await withToken(forged)).channel('team', { config: { private: true } }),
    );
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error: 'JwtSignatureError: Failed to validate JWT signature',
      });
  });

  it('refuses an expired JWT, saying how long ago it expired', async () => {
    const expired = await emulator.signToken({ exp: Math.floor(Date.now() / 1000) - 60 });
    const statuses = subscribe(
      (await withToken(expired)).channel('team', { config: { private: true } }),
    );
    await expect.poll(() => statuses[0]?.status).toBe('CHANNEL_ERROR');
    expect(statuses[0]?.error).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it('refuses a JWT without exp or role', async () => {
    const noExp = await emulator.signToken({ exp: undefined });
    const statuses = subscribe(
      (await withToken(noExp)).channel('team', { config: { private: true } }),
    );
    await expect
      .poll(() => statuses[0])
      .toEqual({
        status: 'CHANNEL_ERROR',
        error: 'InvalidJWTToken: Fields `role` and `exp` are required in JWT',
      });
  });

  it('closes a joined channel when the token is refreshed to an expired one', async () => {
    const realtime = clients.client();
    await realtime.setAuth(await emulator.signToken({ sub: 'dave' }));
    const channel = realtime.channel('team', { config: { private: true } });
    const system: unknown[] = [];
    channel.on('system', {}, (payload) => system.push(payload));
    const statuses = subscribe(channel);
    await expect.poll(() => statuses).toEqual([{ status: 'SUBSCRIBED' }]);

    await realtime.setAuth(
      await emulator.signToken({ sub: 'dave', exp: Math.floor(Date.now() / 1000) - 5 }),
    );
    await expect.poll(() => statuses.at(-1)).toEqual({ status: 'CLOSED' });
    expect(system).toEqual([
      expect.objectContaining({ channel: 'team', extension: 'system', status: 'error' }),
    ]);
    expect((system[0] as { message: string }).message).toMatch(
      /^Token has expired \d+ seconds ago$/,
    );
    await expect.poll(() => emulator.subscriberCount('team')).toBe(0);
  });

  it('presence on a private channel needs presence read and write', async () => {
    const token = await emulator.signToken({ sub: 'erin' });
    const denied = (await withToken(token)).channel('team', { config: { private: true } });
    subscribe(denied);
    await expect.poll(() => denied.state).toBe('joined');
    expect(await denied.track({ here: true })).toBe('error');

    const allowed = (await withToken(token)).channel('presence-team', {
      config: { private: true },
    });
    allowed.on('presence', { event: 'sync' }, () => {});
    subscribe(allowed);
    await expect.poll(() => allowed.state).toBe('joined');
    expect(await allowed.track({ here: true })).toBe('ok');
    await expect.poll(() => Object.keys(allowed.presenceState()).length).toBe(1);
  });

  it('refuses the WebSocket upgrade for a bad API key with Supabase status and body', async () => {
    const forgedKey = await new SignJWT({ role: 'anon', exp: inAnHour() })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(wrongSecret);
    const answer = await refusedUpgrade(`${emulator.url}/websocket?apikey=${forgedKey}&vsn=2.0.0`);
    expect(answer).toEqual({ status: 401, body: { error: 'Failed to validate JWT signature' } });
    const missing = await refusedUpgrade(`${emulator.url}/websocket?vsn=2.0.0`);
    expect(missing).toEqual({ status: 401, body: { error: 'API key is missing' } });

    // realtime-js sees a transport failure on the channel and keeps retrying the socket.
    const statuses = subscribe(clients.client({ params: { apikey: forgedKey } }).channel('lobby'));
    await expect.poll(() => statuses[0]?.status).toBe('CHANNEL_ERROR');
  });
});

function refusedUpgrade(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
    socket.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
}
