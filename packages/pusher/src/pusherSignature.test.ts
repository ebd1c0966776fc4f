import type { RealtimeClient } from '@patchbay/realtime-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPusherHarness } from './testHarness.js';

/** An auth endpoint that signs channels with the wrong secret (a misconfigured server). */
const corruptChannelAuth: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (!String(init?.body ?? '').includes('channel_name=private-')) return response;
  const body = (await response.json()) as { auth: string };
  return Response.json({ auth: `${body.auth.split(':')[0]}:${'0'.repeat(64)}` });
};

// Real Pusher answers a bad subscription signature with a connection-level pusher:error (code
// null) naming the channel, and no channel event: the transport must still fail that subscribe.
describe('pusher transport: a subscription Pusher refuses for its signature', () => {
  const harness = createPusherHarness({
    publish: 'endpoint',
    transport: { fetch: corruptChannelAuth },
  });
  const clients: RealtimeClient[] = [];
  beforeAll(() => harness.setup?.());
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => harness.teardown?.());

  it('fails the channel with AuthError saying the endpoint signs with the wrong secret, and stays connected', async () => {
    const client = await harness.createClient({ clientId: 'sig-user' });
    clients.push(client);
    await client.connect();
    client.channel('signed-room').subscribe(() => {});
    await expect(client.channel('signed-room').ready()).rejects.toMatchObject({
      code: 'auth_rejected',
      message: expect.stringContaining('secret'),
    });
    expect(client.connection.getSnapshot().state).toBe('connected');
  });
});
