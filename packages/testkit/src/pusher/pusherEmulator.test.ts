import PusherServer from 'pusher';
import PusherClient from 'pusher-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../waitFor.js';
import { createPusherEmulator, type PusherEmulator } from './index.js';

const APP = { appId: '123', key: 'app-key', secret: 'app-secret' };

/** A raw protocol-7 socket that records every frame, for asserting the wire itself. */
async function rawSocket(emulator: PusherEmulator) {
  const ws = new WebSocket(`ws://127.0.0.1:${emulator.port}/app/${APP.key}?protocol=7`);
  const frames: Array<{ event: string; channel?: string; data?: string; user_id?: string }> = [];
  ws.on('message', (raw) => frames.push(JSON.parse(String(raw))));
  await waitFor('connection_established', () => frames.length > 0);
  const established = frames[0] as { event: string; data: string };
  expect(established.event).toBe('pusher:connection_established');
  const { socket_id: socketId, activity_timeout } = JSON.parse(established.data);
  expect(socketId).toMatch(/^\d+\.\d+$/);
  expect(activity_timeout).toBe(120);
  const send = (frame: object) => ws.send(JSON.stringify(frame));
  return { ws, frames, socketId: socketId as string, send };
}

describe('Pusher emulator', () => {
  let emulator: PusherEmulator;
  let server: PusherServer;
  const sockets: WebSocket[] = [];
  const clients: PusherClient[] = [];

  beforeEach(async () => {
    emulator = await createPusherEmulator({ ...APP, port: 0 });
    server = new PusherServer(emulator.serverOptions());
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    for (const client of clients.splice(0)) client.disconnect();
    await emulator.close();
  });

  it('rejects a wrong private-channel signature with pusher:error code null, as Pusher does', async () => {
    const raw = await rawSocket(emulator);
    sockets.push(raw.ws);
    raw.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-room', auth: `${APP.key}:bad` },
    });
    await waitFor('the error', () => raw.frames.some((f) => f.event === 'pusher:error'));
    const error = JSON.parse(raw.frames.find((f) => f.event === 'pusher:error')?.data ?? '{}');
    expect(error.code).toBeNull();
    expect(error.message).toContain(
      `Expected HMAC SHA256 hex digest of ${raw.socketId}:private-room`,
    );
    expect(emulator.subscriptionCount('private-room')).toBe(0);
  });

  it('can answer a wrong signature soketi-style, and pusher-js surfaces pusher:subscription_error with the status', async () => {
    await emulator.close();
    emulator = await createPusherEmulator({ ...APP, subscriptionErrorStyle: 'subscription-error' });
    const client = new PusherClient(APP.key, {
      ...emulator.clientOptions(),
      channelAuthorization: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: (_params, callback) => callback(null, { auth: `${APP.key}:wrong` }),
      },
    });
    clients.push(client);
    const errors: unknown[] = [];
    client
      .subscribe('private-room')
      .bind('pusher:subscription_error', (e: unknown) => errors.push(e));
    await waitFor('the subscription error', () => errors.length > 0);
    expect(errors[0]).toMatchObject({ type: 'AuthError', status: 401 });
  });

  it('the pusher SDK authorizeChannel and trigger work unchanged with real pusher-js', async () => {
    const client = new PusherClient(APP.key, {
      ...emulator.clientOptions(),
      channelAuthorization: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) =>
          callback(
            null,
            server.authorizeChannel(socketId, channelName, { user_id: 'u1', user_info: { n: 1 } }),
          ),
      },
    });
    clients.push(client);
    const got: unknown[] = [];
    const channel = client.subscribe('presence-room');
    channel.bind('news', (data: unknown) => got.push(data));
    let members = 0;
    channel.bind('pusher:subscription_succeeded', (m: { count: number }) => {
      members = m.count;
    });
    await waitFor('the presence subscription', () => members === 1);
    expect(emulator.presenceUserIds('presence-room')).toEqual(['u1']);
    const response = await server.trigger(
      'presence-room',
      'news',
      { hello: 'world' },
      { info: 'user_count,subscription_count' },
    );
    expect(await response.json()).toEqual({
      channels: { 'presence-room': { subscription_count: 1, user_count: 1 } },
    });
    await waitFor('the event', () => got.length === 1);
    expect(got).toEqual([{ hello: 'world' }]);
    const users = await (await server.get({ path: '/channels/presence-room/users' })).json();
    expect(users).toEqual({ users: [{ id: 'u1' }] });
  });

  it('authenticateUser signs a pusher:signin the emulator accepts; sendToUser reaches that user', async () => {
    const client = new PusherClient(APP.key, {
      ...emulator.clientOptions(),
      userAuthentication: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: ({ socketId }, callback) =>
          callback(null, server.authenticateUser(socketId, { id: 'alice' })),
      },
    });
    clients.push(client);
    const got: unknown[] = [];
    client.user.bind('hello', (data: unknown) => got.push(data));
    client.signin();
    await client.user.signinDonePromise;
    await waitFor(
      'the user channel',
      () => emulator.subscriptionCount('#server-to-user-alice') === 1,
    );
    await server.sendToUser('alice', 'hello', { a: 1 });
    await waitFor('the user event', () => got.length === 1);
    expect(got).toEqual([{ a: 1 }]);
  });

  it('presence: several sockets of one user are one member; member_removed only when the last goes', async () => {
    const [a1, a2, b] = [
      await rawSocket(emulator),
      await rawSocket(emulator),
      await rawSocket(emulator),
    ];
    sockets.push(a1.ws, a2.ws, b.ws);
    const join = (raw: typeof a1, userId: string) => {
      const channelData = JSON.stringify({ user_id: userId, user_info: {} });
      const { auth } = server.authorizeChannel(raw.socketId, 'presence-x', {
        user_id: userId,
        user_info: {},
      });
      raw.send({
        event: 'pusher:subscribe',
        data: { channel: 'presence-x', auth, channel_data: channelData },
      });
    };
    // Frames to b written before the emulator answers a ping from b arrive before the pong: a
    // barrier after which "exactly one" and "none" are settled, not merely not-yet-arrived.
    const caughtUp = async () => {
      const pongs = () => b.frames.filter((f) => f.event === 'pusher:pong').length;
      const before = pongs();
      b.send({ event: 'pusher:ping', data: {} });
      await waitFor('b caught up', () => pongs() > before);
    };
    join(b, 'bob');
    await waitFor('bob in', () =>
      b.frames.some((f) => f.event === 'pusher_internal:subscription_succeeded'),
    );
    join(a1, 'alice');
    join(a2, 'alice');
    await waitFor('alice twice', () => emulator.subscriptionCount('presence-x') === 3);
    await caughtUp();
    expect(b.frames.filter((f) => f.event === 'pusher_internal:member_added')).toHaveLength(1);
    a1.ws.terminate();
    await waitFor('one socket gone', () => emulator.subscriptionCount('presence-x') === 2);
    await caughtUp();
    expect(b.frames.some((f) => f.event === 'pusher_internal:member_removed')).toBe(false);
    a2.send({ event: 'client-wave', channel: 'presence-x', data: { hi: 1 } });
    await waitFor('the client event', () => b.frames.some((f) => f.event === 'client-wave'));
    expect(b.frames.find((f) => f.event === 'client-wave')?.user_id).toBe('alice');
    expect(a2.frames.some((f) => f.event === 'client-wave')).toBe(false);
    a2.ws.terminate();
    await waitFor('alice left', () =>
      b.frames.some((f) => f.event === 'pusher_internal:member_removed'),
    );
  });

  it('answers a wrong HTTP API signature with 401, as Pusher does', async () => {
    const wrong = new PusherServer({ ...emulator.serverOptions(), secret: 'not-the-secret' });
    const error = await wrong.trigger('room', 'e', {}).then(
      () => undefined,
      (e: unknown) => e as { status: number; body: string },
    );
    expect(error?.status).toBe(401);
    expect(error?.body).toContain('Invalid signature');
    const unknownKey = new PusherServer({ ...emulator.serverOptions(), key: 'other-key' });
    await expect(unknownKey.trigger('room', 'e', {})).rejects.toMatchObject({ status: 401 });
  });

  it('stop() refuses connections and start() comes back on the same port', async () => {
    const { port } = emulator;
    await emulator.stop();
    await expect(server.trigger('room', 'e', {})).rejects.toBeDefined();
    await emulator.start();
    expect(emulator.port).toBe(port);
    await expect(server.trigger('room', 'e', {})).resolves.toBeDefined();
  });
});
