import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { pusherTransport } from '@patchbay/realtime-pusher';
import { createPusherAuthHandler } from '@patchbay/realtime-pusher/server';
import { sleep, waitFor } from '@patchbay/realtime-testkit';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import PusherClient from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { record } from './summary/record.js';

const APP = { appId: '4301', key: 'rate-key', secret: 'rate-secret' };
/** Pusher's client-event limit per connection, which the emulator enforces by default. */
const RATE = 10;
const BURST = 10;
const AUTH_URL = 'http://app.test/pusher/auth';

// Pusher limits client events to 10 per second per connection and answers the excess with
// pusher:error 4301 instead of relaying it. A client that floods (a bug or an attacker using the
// app key and its own valid session) must not reach other subscribers faster than that.
describe('security on pusher: the client-event rate limit', () => {
  let emulator: PusherEmulator;
  let server: PusherServer;
  const raws: PusherClient[] = [];
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    emulator = await createPusherEmulator({ ...APP, port: 0 });
    server = new PusherServer(emulator.serverOptions());
  });
  afterEach(() => {
    for (const raw of raws.splice(0)) raw.disconnect();
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => emulator.close());

  /** A raw pusher-js connection on Pusher channel `name`, authorized directly with the pusher SDK. */
  const raw = async (name: string) => {
    const client = new PusherClient(APP.key, {
      ...emulator.clientOptions(),
      channelAuthorization: {
        transport: 'ajax',
        endpoint: AUTH_URL,
        customHandler: ({ socketId, channelName }, callback) =>
          callback(
            null,
            channelName.startsWith('presence-')
              ? server.authorizeChannel(socketId, channelName, {
                  user_id: `watcher#${socketId}`,
                  user_info: { clientId: 'watcher', entered: false, data: null },
                })
              : server.authorizeChannel(socketId, channelName),
          ),
      },
    });
    raws.push(client);
    const subscribed = client.subscribe(name);
    await new Promise<void>((resolve) => subscribed.bind('pusher:subscription_succeeded', resolve));
    const rateErrors: number[] = [];
    client.connection.bind('error', (error: { data?: { code?: unknown } }) => {
      if (error?.data?.code === 4301) rateErrors.push(Date.now());
    });
    const received: number[] = [];
    subscribed.bind('client-flood', (data: { n: number }) => received.push(data.n));
    const envelopes: string[] = [];
    subscribed.bind('client-patchbay', (data: { id: string }) => envelopes.push(data.id));
    return { client, channel: subscribed, rateErrors, received, envelopes };
  };

  it('a flooding connection gets 4301 for the excess; receivers get at most burst + rate × elapsed', async () => {
    const sender = await raw('private-flood');
    const receiver = await raw('private-flood');
    const sent = 60;
    const started = Date.now();
    for (let n = 0; n < sent; n++) sender.channel.trigger('client-flood', { n });
    await waitFor('every event answered', () => {
      return receiver.received.length + sender.rateErrors.length >= sent;
    });
    const elapsedMs = Date.now() - started;
    await sleep(200);
    const received = receiver.received.length;
    const rejected = sender.rateErrors.length;
    const ceiling = BURST + Math.ceil((RATE * elapsedMs) / 1_000);
    record({
      scenario: 'security: rate limit',
      provider: 'pusher',
      sent,
      received,
      lost: 0,
      duplicated: 0,
      note: `raw pusher-js flood: ${rejected} rejected with 4301 in ${elapsedMs} ms (ceiling ${ceiling} = burst ${BURST} + ${RATE}/s); rejections are not losses`,
    });
    expect(received).toBeLessThanOrEqual(ceiling);
    expect(received + rejected).toBe(sent);
    expect(rejected).toBeGreaterThanOrEqual(sent - ceiling);
    // What got through is the start of the flood, in order; the connection stays up.
    expect(receiver.received).toEqual([...Array(received).keys()]);
    expect(sender.client.connection.state).toBe('connected');
  });

  it('Patchbay paces its own client events below the limit: nothing is rejected or lost', async () => {
    const auth = createPusherAuthHandler({
      pusher: server,
      authenticate: (token) => (token ? { userId: token } : null),
    });
    const publisher = createRealtime({
      clientId: 'pacer',
      connectivity: noConnectivitySignals,
      auth: () => 'pacer',
      transport: pusherTransport({
        key: APP.key,
        authEndpoint: AUTH_URL,
        pusherOptions: emulator.clientOptions(),
        fetch: (input, init) => auth(new Request(input, init)),
      }),
    });
    clients.push(publisher);
    // Patchbay's publishes travel on the presence channel (verified identity): watch it raw.
    const receiver = await raw('presence-paced');
    const delivered = receiver.envelopes;
    await publisher.connect();
    publisher.channel('paced').hold();
    await publisher.channel('paced').ready();

    const sent = 25;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: sent }, (_, n) =>
        publisher.channel('paced').publish('m', n, { id: `paced-${n}` }),
      ),
    );
    await waitFor('every message', () => delivered.length >= sent, { timeoutMs: 10_000 });
    const elapsedMs = Date.now() - started;
    await sleep(200);
    record({
      scenario: 'security: rate limit (Patchbay paced)',
      provider: 'pusher',
      sent,
      received: delivered.length,
      lost: sent - new Set(delivered).size,
      duplicated: delivered.length - new Set(delivered).size,
      note: `client events paced by the transport: ${sent} in ${elapsedMs} ms, none rejected`,
    });
    expect(delivered).toEqual(Array.from({ length: sent }, (_, n) => `paced-${n}`));
    // 25 events at ≤ 10 per 1.1 s cannot all leave within two seconds.
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
  });
});
