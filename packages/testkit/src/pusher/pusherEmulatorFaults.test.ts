import PusherServer from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../waitFor.js';
import { createPusherEmulator, type PusherEmulator } from './index.js';

const APP = { appId: '7', key: 'k7', secret: 's7' };

interface Frame {
  event: string;
  channel?: string;
  data?: string;
}

async function open(emulator: PusherEmulator, key = APP.key) {
  const ws = new WebSocket(`ws://127.0.0.1:${emulator.port}/app/${key}?protocol=7`);
  const frames: Frame[] = [];
  let closeCode: number | undefined;
  ws.on('message', (raw) => frames.push(JSON.parse(String(raw)) as Frame));
  ws.on('close', (code) => {
    closeCode = code;
  });
  await waitFor('the first frame', () => frames.length > 0 || closeCode !== undefined);
  const established = frames[0]?.data ? JSON.parse(frames[0].data) : {};
  return { ws, frames, socketId: established.socket_id as string, closed: () => closeCode };
}

describe('Pusher emulator: liveness, HTTP API and faults', () => {
  const started: PusherEmulator[] = [];
  const start = async (extra: Partial<Parameters<typeof createPusherEmulator>[0]> = {}) => {
    const emulator = await createPusherEmulator({ ...APP, port: 0, ...extra });
    started.push(emulator);
    return emulator;
  };
  afterEach(async () => {
    for (const emulator of started.splice(0)) await emulator.close();
  });

  it('refuses an unknown app key with 4001, which pusher-js treats as final', async () => {
    const emulator = await start();
    const raw = await open(emulator, 'nope');
    await waitFor('the close', () => raw.closed() !== undefined);
    expect(raw.closed()).toBe(4001);
    expect(raw.frames[0]?.event).toBe('pusher:error');
  });

  it('answers pusher:ping, pings a silent client after activity_timeout and closes 4201 without a reply', async () => {
    const emulator = await start({ activityTimeoutSeconds: 1, pongTimeoutMs: 200 });
    const raw = await open(emulator);
    raw.ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
    await waitFor('the pong', () => raw.frames.some((f) => f.event === 'pusher:pong'));
    await waitFor('the server ping', () => raw.frames.some((f) => f.event === 'pusher:ping'), {
      timeoutMs: 5_000,
    });
    await waitFor('the close', () => raw.closed() !== undefined, { timeoutMs: 5_000 });
    expect(raw.closed()).toBe(4201);
  });

  it('batch_events, channel listings and terminate_connections behave like the HTTP API', async () => {
    const emulator = await start();
    const server = new PusherServer(emulator.serverOptions());
    const raw = await open(emulator);
    const channelData = JSON.stringify({ user_id: 'u1' });
    const { auth } = server.authorizeChannel(raw.socketId, 'presence-a', { user_id: 'u1' });
    raw.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'public-b' } }));
    raw.ws.send(
      JSON.stringify({
        event: 'pusher:subscribe',
        data: { channel: 'presence-a', auth, channel_data: channelData },
      }),
    );
    await waitFor('both subscriptions', () => emulator.subscriptionCount('presence-a') === 1);
    await server.triggerBatch([
      { channel: 'public-b', name: 'one', data: { n: 1 } },
      { channel: 'presence-a', name: 'two', data: 'plain' },
    ]);
    await waitFor(
      'both events',
      () => raw.frames.filter((f) => /^(one|two)$/.test(f.event)).length === 2,
    );
    expect(raw.frames.find((f) => f.event === 'one')?.data).toBe('{"n":1}');
    const listing = await server.get({
      path: '/channels',
      params: { filter_by_prefix: 'presence-', info: 'user_count' },
    });
    expect(await listing.json()).toEqual({ channels: { 'presence-a': { user_count: 1 } } });
    const info = await server.get({
      path: '/channels/public-b',
      params: { info: 'subscription_count' },
    });
    expect(await info.json()).toEqual({ occupied: true, subscription_count: 1 });
    await expect(
      server.get({ path: '/channels', params: { info: 'user_count' } }),
    ).rejects.toMatchObject({ status: 400 });
    const signin = server.authenticateUser(raw.socketId, { id: 'u1' });
    raw.ws.send(JSON.stringify({ event: 'pusher:signin', data: signin }));
    await waitFor('signed in', () => raw.frames.some((f) => f.event === 'pusher:signin_success'));
    await server.terminateUserConnections('u1');
    await waitFor('the termination', () => raw.closed() !== undefined);
    expect(raw.closed()).toBe(4009);
  });

  it('rejectSubscriptions refuses a correctly signed subscription until undone', async () => {
    const emulator = await start({ subscriptionErrorStyle: 'subscription-error' });
    const server = new PusherServer(emulator.serverOptions());
    const undo = emulator.rejectSubscriptions((channel) => channel === 'private-x');
    const raw = await open(emulator);
    const subscribe = () =>
      raw.ws.send(
        JSON.stringify({
          event: 'pusher:subscribe',
          data: {
            channel: 'private-x',
            auth: server.authorizeChannel(raw.socketId, 'private-x').auth,
          },
        }),
      );
    subscribe();
    await waitFor('the refusal', () =>
      raw.frames.some((f) => f.event === 'pusher:subscription_error'),
    );
    expect(JSON.parse(raw.frames.at(-1)?.data ?? '{}')).toMatchObject({ status: 403 });
    undo();
    subscribe();
    await waitFor('the subscription', () => emulator.subscriptionCount('private-x') === 1);
    raw.ws.terminate();
  });
});
