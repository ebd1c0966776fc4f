import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createAuthRules, sleep, waitFor } from '@patchbay/realtime-testkit';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import PusherClient from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENT, type PusherEnvelope } from './internal/envelope.js';
import { pusherTransport } from './pusherTransport.js';
import { createPusherAuthHandler } from './server/index.js';

const APP = { appId: '77', key: 'identity-key', secret: 'identity-secret' };
const AUTH_URL = 'http://app.test/pusher/auth';

interface Seen {
  id: string;
  data: unknown;
  clientId?: string;
}

// Without a publish endpoint, messages are Pusher client events, whose payload the sender writes
// in full. These tests use the real pusher-js as a hostile client, signed in as alice through the
// app's own auth endpoint, forging Patchbay envelopes that claim to come from bob.
describe('pusher client events: the sender’s identity cannot be forged', () => {
  const rules = createAuthRules();
  let emulator: PusherEmulator;
  let auth: (request: Request) => Promise<Response>;
  const clients: RealtimeClient[] = [];
  const raws: PusherClient[] = [];

  beforeAll(async () => {
    emulator = await createPusherEmulator({ ...APP, port: 0 });
    auth = createPusherAuthHandler({
      pusher: new PusherServer(emulator.serverOptions()),
      authenticate: (token) => (token ? { userId: token } : null),
      authorize: ({ userId, channel, action }) => !rules.rejects(userId, channel, action),
    });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    for (const raw of raws.splice(0)) raw.disconnect();
  });
  afterAll(() => emulator.close());

  /** The app's auth endpoint, called in-process (same handler a server would mount). */
  const callAuth = async (token: string, form: Record<string, string>) => {
    const response = await auth(
      new Request(AUTH_URL, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: new URLSearchParams(form),
      }),
    );
    if (!response.ok) throw new Error(`auth refused: ${response.status}`);
    return response.json();
  };

  const patchbay = async (
    user: string,
    publish: 'client-events' | 'endpoint' = 'client-events',
  ) => {
    const client = createRealtime({
      clientId: user,
      connectivity: noConnectivitySignals,
      auth: () => user,
      transport: pusherTransport({
        key: APP.key,
        authEndpoint: AUTH_URL,
        // Only the identity of client events is under test: this endpoint is never called.
        ...(publish === 'endpoint' ? { publishEndpoint: 'http://app.test/pusher/publish' } : {}),
        pusherOptions: emulator.clientOptions(),
        connectTimeoutMs: 2_000,
        fetch: (input, init) => auth(new Request(input, init)),
      }),
    });
    clients.push(client);
    await client.connect();
    return client;
  };

  const collect = (client: RealtimeClient, channel: string) => {
    const seen: Seen[] = [];
    client.channel(channel).subscribe('chat', (message) => {
      seen.push({
        id: message.id,
        data: message.data,
        ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
      });
    });
    return seen;
  };

  /** A raw pusher-js client, signed in and authorized as `user` by the app's auth endpoint. */
  const hostile = async (user: string, channel: string) => {
    const raw = new PusherClient(APP.key, {
      ...emulator.clientOptions(),
      channelAuthorization: {
        transport: 'ajax',
        endpoint: AUTH_URL,
        customHandler: ({ socketId, channelName }, callback) => {
          callAuth(user, { socket_id: socketId, channel_name: channelName }).then(
            (data) => callback(null, data),
            (error: Error) => callback(error, null),
          );
        },
      },
    });
    raws.push(raw);
    const joined = (name: string) =>
      new Promise<void>((resolve) => {
        raw.subscribe(name).bind('pusher:subscription_succeeded', () => resolve());
      });
    await Promise.all([joined(`private-${channel}`), joined(`presence-${channel}`)]);
    const errors: unknown[] = [];
    raw.connection.bind('error', (error: unknown) => errors.push(error));
    const forge = (name: string, id: string, event = CLIENT_EVENT) => {
      const envelope: PusherEnvelope = {
        id,
        event: 'chat',
        data: { text: 'I am bob' },
        clientId: 'bob',
        timestamp: Date.now(),
      };
      return raw.channel(name).trigger(event, envelope);
    };
    return { forge, errors };
  };

  it('a forged envelope shows alice on presence and no clientId on private — never bob', async () => {
    const carol = await patchbay('carol');
    const seen = collect(carol, 'id-room');
    await carol.channel('id-room').ready();
    const alice = await hostile('alice', 'id-room');

    expect(alice.forge('presence-id-room', 'forged-presence')).toBe(true);
    expect(alice.forge('private-id-room', 'forged-private')).toBe(true);
    // Some other client event name carrying Patchbay's envelope: not Patchbay's, dropped.
    expect(alice.forge('private-id-room', 'forged-other', 'client-chat')).toBe(true);
    await waitFor('both forgeries', () => seen.length >= 2);
    await sleep(200);

    expect(seen).toEqual([
      { id: 'forged-presence', data: { text: 'I am bob' }, clientId: 'alice' },
      { id: 'forged-private', data: { text: 'I am bob' } },
    ]);
    expect(seen.some((message) => message.clientId === 'bob')).toBe(false);
  });

  it('with a publish endpoint, forged client-event messages are not delivered at all', async () => {
    const carol = await patchbay('carol-endpoint', 'endpoint');
    const seen = collect(carol, 'id-endpoint');
    await carol.channel('id-endpoint').ready();
    const alice = await hostile('alice', 'id-endpoint');
    alice.forge('presence-id-endpoint', 'e-presence');
    alice.forge('private-id-endpoint', 'e-private');
    await sleep(300);
    expect(seen).toEqual([]);
  });

  it('Patchbay publishes go over presence: receivers see the verified clientId, once each, in order, within the rate limit', async () => {
    const dave = await patchbay('dave');
    const erin = await patchbay('erin');
    const seen = collect(erin, 'id-order');
    dave.channel('id-order').hold();
    await Promise.all([dave.channel('id-order').ready(), erin.channel('id-order').ready()]);
    for (let n = 0; n < 15; n++)
      await dave.channel('id-order').publish('chat', n, { id: `o-${n}` });
    await waitFor('fifteen', () => seen.length >= 15, { timeoutMs: 5_000 });
    await sleep(200);
    expect(seen.map((message) => message.data)).toEqual([...Array(15).keys()]);
    expect(new Set(seen.map((message) => message.clientId))).toEqual(new Set(['dave']));
  });

  it('publishing while presence re-subscribes (enter) waits for it: in order, verified, once', async () => {
    const hank = await patchbay('hank');
    const ivy = await patchbay('ivy');
    const seen = collect(ivy, 'id-enter');
    hank.channel('id-enter').hold();
    await Promise.all([hank.channel('id-enter').ready(), ivy.channel('id-enter').ready()]);
    const entering = hank.channel('id-enter').presence.enter({ mood: 'busy' });
    for (let n = 0; n < 4; n++) await hank.channel('id-enter').publish('chat', n);
    await entering;
    await waitFor('four', () => seen.length >= 4);
    await sleep(200);
    expect(seen.map((message) => [message.data, message.clientId])).toEqual([
      [0, 'hank'],
      [1, 'hank'],
      [2, 'hank'],
      [3, 'hank'],
    ]);
  });

  it('a publisher refused presence falls back to private: delivered once, without a clientId', async () => {
    const undo = rules.add({ clientId: 'frank', channel: 'id-fallback', action: 'presence' });
    try {
      const frank = await patchbay('frank');
      const grace = await patchbay('grace');
      const seen = collect(grace, 'id-fallback');
      const own = collect(frank, 'id-fallback');
      await Promise.all([
        frank.channel('id-fallback').ready(),
        grace.channel('id-fallback').ready(),
      ]);
      await frank.channel('id-fallback').publish('chat', 'hi', { id: 'fb-1' });
      await frank.channel('id-fallback').publish('chat', 'again', { id: 'fb-2' });
      await waitFor('both', () => seen.length >= 2);
      await sleep(200);
      expect(seen).toEqual([
        { id: 'fb-1', data: 'hi' },
        { id: 'fb-2', data: 'again' },
      ]);
      // Echo is handed back locally, with the publisher's own (authenticated) clientId.
      expect(own.map((message) => [message.id, message.clientId])).toEqual([
        ['fb-1', 'frank'],
        ['fb-2', 'frank'],
      ]);
    } finally {
      undo();
    }
  });
});
