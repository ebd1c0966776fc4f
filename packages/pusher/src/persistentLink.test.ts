import {
  createRealtime,
  noConnectivitySignals,
  type PresenceEvent,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { sleep, waitFor, waitForState } from '@patchbay/realtime-testkit';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import PusherJs from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PusherConstructor, type PusherTransportOptions, pusherTransport } from './index.js';
import { createPusherAuthHandler, createPusherPublishHandler } from './server/index.js';

const APP = { appId: '91', key: 'link-key', secret: 'link-secret' };

/** pusher-js, counting how many clients the transport constructs. */
function countingPusher() {
  let count = 0;
  const Counting = class extends (PusherJs as unknown as PusherConstructor) {
    constructor(...args: ConstructorParameters<PusherConstructor>) {
      super(...args);
      count++;
    }
  } as PusherConstructor;
  return { Counting, constructed: () => count };
}

// The real pusher-js against the Pusher emulator; the app's two endpoints run in-process.
describe('pusher: one long-lived pusher-js client', () => {
  let emulator: PusherEmulator;
  let endpoints: (request: Request) => Promise<Response>;
  const clients: RealtimeClient[] = [];
  const raws: PusherJs[] = [];

  beforeAll(async () => {
    emulator = await createPusherEmulator({ ...APP, port: 0 });
    const pusher = new PusherServer(emulator.serverOptions());
    const authenticate = (token?: string) => (token ? { userId: token.split('.')[0] ?? '' } : null);
    const auth = createPusherAuthHandler({ pusher, authenticate });
    const publish = createPusherPublishHandler({ pusher, authenticate });
    endpoints = (request) => (request.url.endsWith('/auth') ? auth : publish)(request);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    for (const raw of raws.splice(0)) raw.disconnect();
  });
  afterAll(() => emulator.close());

  const client = (user: string, options: Partial<PusherTransportOptions> = {}) => {
    const created = createRealtime({
      clientId: user,
      connectivity: noConnectivitySignals,
      auth: () => `${user}.token`,
      reconnect: { baseDelayMs: 20, maxDelayMs: 200 },
      transport: pusherTransport({
        key: APP.key,
        authEndpoint: 'http://app.test/pusher/auth',
        publishEndpoint: 'http://app.test/pusher/publish',
        pusherOptions: emulator.clientOptions(),
        connectTimeoutMs: 1_000,
        fetch: (input, init) => endpoints(new Request(input, init)),
        ...options,
      }),
    });
    clients.push(created);
    return created;
  };

  it('keeps the same pusher-js client across a dropped link, with the new socket_id', async () => {
    const { Counting, constructed } = countingPusher();
    const alice = client('blip-alice', { Pusher: Counting });
    await alice.connect();
    const before = alice.connection.getSnapshot().connectionId as string;
    emulator.dropSocket(before);
    await waitFor('a new socket', () => alice.connection.getSnapshot().connectionId !== before);
    await waitForState(alice, 'connected');
    expect(constructed()).toBe(1);
    expect(emulator.socketIds()).toContain(alice.connection.getSnapshot().connectionId);
  });

  it('close() and connect() again reuse the one pusher-js client, without the channels released before', async () => {
    const { Counting, constructed } = countingPusher();
    const alice = client('again-alice', { Pusher: Counting });
    await alice.connect();
    const off = alice.channel('again-old').subscribe(() => {});
    await alice.channel('again-old').ready();
    expect(emulator.subscriptionCount('private-again-old')).toBe(1);
    alice.close();
    off();
    await alice.connect();
    const seen: unknown[] = [];
    alice.channel('again-new').subscribe((message) => seen.push(message.data));
    await alice.channel('again-new').ready();
    await alice.channel('again-new').publish('m', 1);
    await expect.poll(() => seen).toEqual([1]);
    expect(constructed()).toBe(1);
    expect(emulator.subscriptionCount('private-again-old')).toBe(0);
    expect(emulator.socketIds()).toEqual([alice.connection.getSnapshot().connectionId]);
  });

  it('an app-provided pusher-js client is shared and stays connected after close()', async () => {
    const appPusher = new PusherJs(APP.key, emulator.clientOptions());
    raws.push(appPusher);
    const alice = client('app-alice', { pusher: appPusher });
    await alice.connect();
    const room = alice.channel('shared-room');
    room.subscribe(() => {});
    await room.ready();
    expect(alice.connection.getSnapshot().connectionId).toBe(appPusher.connection.socket_id);
    expect(emulator.subscriptionCount('private-shared-room')).toBe(1);
    alice.close();
    await waitFor(
      'our channel released',
      () => emulator.subscriptionCount('private-shared-room') === 0,
    );
    await sleep(50);
    expect(appPusher.connection.state).toBe('connected');
    expect(emulator.socketIds()).toContain(appPusher.connection.socket_id);
  });

  it('joins presence-<name> only while presence is used on the channel', async () => {
    const bob = client('lazy-bob');
    await bob.connect();
    const room = bob.channel('lazy-room');
    room.subscribe(() => {});
    await room.ready();
    await sleep(50);
    expect(emulator.subscriptionCount('private-lazy-room')).toBe(1);
    expect(emulator.subscriptionCount('presence-lazy-room')).toBe(0);
    const stop = room.presence.subscribe(() => {});
    await waitFor('presence watched', () => emulator.subscriptionCount('presence-lazy-room') === 1);
    stop();
    await waitFor(
      'presence released',
      () => emulator.subscriptionCount('presence-lazy-room') === 0,
    );
    expect(emulator.subscriptionCount('private-lazy-room')).toBe(1);
  });

  it('entering after another member updated never shows that member’s older data', async () => {
    const bob = client('stale-bob');
    const alice = client('stale-alice');
    const carol = client('stale-carol');
    await Promise.all([bob.connect(), alice.connect(), carol.connect()]);
    const name = 'stale-room';
    const watched = carol.channel(name).presence;
    const carolSaw: PresenceEvent[] = [];
    watched.onEvent((event) => carolSaw.push(event));
    // Carol watches before bob enters, so what she sees of him are events, not a first sync.
    await waitFor('carol watching', () => carolSaw.some((event) => event.type === 'sync'));
    await bob.channel(name).presence.enter({ v: 1 });
    await bob.channel(name).presence.update({ v: 2 });
    await waitFor(
      'carol sees v2',
      () => (watched.getSnapshot()[0]?.data as { v?: number } | undefined)?.v === 2,
    );

    const bobData: unknown[] = [];
    const mine = alice.channel(name).presence;
    mine.subscribe(() => {
      const seen = mine.getSnapshot().find((m) => m.clientId === 'stale-bob')?.data;
      if (seen !== undefined && seen !== bobData.at(-1)) bobData.push(seen);
    });
    await mine.enter({ me: 'alice' });
    await waitFor('alice sees bob at v2', () => bobData.some((d) => (d as { v: number }).v === 2));
    await sleep(300);
    const versions = bobData.map((d) => (d as { v: number }).v);
    // Never back to v1 once v2 was seen (an enter-time snapshot may show v1 first).
    expect(versions.slice(versions.indexOf(2))).toEqual([2]);
    const carolBob = carolSaw.filter(
      (event) => event.type === 'update' && event.member.clientId === 'stale-bob',
    );
    expect(carolBob.map((event) => (event.type === 'update' ? event.member.data : null))).toEqual([
      { v: 2 },
    ]);
  });
});
