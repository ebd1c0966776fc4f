import PusherServer from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../waitFor.js';
import { createPusherEmulator, type PusherEmulator } from './index.js';

const APP = { appId: '9', key: 'k9', secret: 's9' };

interface Frame {
  event: string;
  channel?: string;
  data?: string;
}

/** A raw protocol-7 socket subscribed to `private-room`, recording every frame it receives. */
async function joined(emulator: PusherEmulator, server: PusherServer) {
  const ws = new WebSocket(`ws://127.0.0.1:${emulator.port}/app/${APP.key}?protocol=7`);
  const frames: Frame[] = [];
  let closeCode: number | undefined;
  ws.on('message', (raw) => frames.push(JSON.parse(String(raw)) as Frame));
  ws.on('close', (code) => {
    closeCode = code;
  });
  await waitFor('connection_established', () => frames.length > 0);
  const socketId = JSON.parse(frames[0]?.data ?? '{}').socket_id as string;
  const { auth } = server.authorizeChannel(socketId, 'private-room');
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-room', auth } }));
  await waitFor('subscription_succeeded', () =>
    frames.some((f) => f.event === 'pusher_internal:subscription_succeeded'),
  );
  const send = (n: number) =>
    ws.send(JSON.stringify({ event: 'client-n', channel: 'private-room', data: { n } }));
  const errors = () =>
    frames
      .filter((f) => f.event === 'pusher:error')
      .map((f) => JSON.parse(f.data ?? '{}') as { code: number | null; message: string });
  const relayed = () => frames.filter((f) => f.event === 'client-n');
  return { ws, send, errors, relayed, closed: () => closeCode };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Pusher emulator: the client-event rate limit', () => {
  const started: PusherEmulator[] = [];
  const sockets: WebSocket[] = [];
  const start = async (extra: Partial<Parameters<typeof createPusherEmulator>[0]> = {}) => {
    const emulator = await createPusherEmulator({ ...APP, port: 0, ...extra });
    started.push(emulator);
    const server = new PusherServer(emulator.serverOptions());
    const open = async () => {
      const socket = await joined(emulator, server);
      sockets.push(socket.ws);
      return socket;
    };
    return { emulator, open };
  };
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    for (const emulator of started.splice(0)) await emulator.close();
  });

  it('relays a burst of 10, rejects the rest with 4301 and keeps the connection open', async () => {
    const { open } = await start();
    const sender = await open();
    const receiver = await open();
    for (let n = 0; n < 25; n++) sender.send(n);
    await waitFor('every answer', () => receiver.relayed().length + sender.errors().length >= 25);
    await sleep(50);
    // A few tokens may refill while the 25 frames arrive; never more than that.
    const relayed = receiver.relayed().length;
    expect(relayed).toBeGreaterThanOrEqual(10);
    expect(relayed).toBeLessThanOrEqual(11);
    expect(sender.errors()).toHaveLength(25 - relayed);
    expect(sender.errors()[0]).toEqual({
      code: 4301,
      message: 'Client event rejected due to rate limit',
    });
    // The first ten went through in order.
    expect(
      receiver
        .relayed()
        .slice(0, 10)
        .map((f) => JSON.parse(f.data ?? '{}').n),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sender.closed()).toBeUndefined();
  });

  it('refills at the configured rate: a sender at that pace is never rejected', async () => {
    const { open } = await start({ clientEventsPerSecond: 20, clientEventBurst: 2 });
    const sender = await open();
    const receiver = await open();
    for (let n = 0; n < 12; n++) {
      sender.send(n);
      await sleep(60); // ~16/s, under 20/s
    }
    await waitFor('all twelve', () => receiver.relayed().length === 12);
    expect(sender.errors()).toEqual([]);
  });

  it('counts per connection: one flooding socket does not use up another one’s allowance', async () => {
    const { open } = await start({ clientEventsPerSecond: 5 });
    const flooder = await open();
    const polite = await open();
    const receiver = await open();
    for (let n = 0; n < 20; n++) flooder.send(n);
    await waitFor('the flooder to be limited', () => flooder.errors().length >= 10);
    polite.send(100);
    await waitFor('the polite event', () =>
      receiver.relayed().some((f) => JSON.parse(f.data ?? '{}').n === 100),
    );
    expect(polite.errors()).toEqual([]);
  });

  it('clientEventsPerSecond: false turns the limit off', async () => {
    const { open } = await start({ clientEventsPerSecond: false });
    const sender = await open();
    const receiver = await open();
    for (let n = 0; n < 100; n++) sender.send(n);
    await waitFor('all hundred', () => receiver.relayed().length === 100);
    expect(sender.errors()).toEqual([]);
  });

  it('refuses a nonsensical limit', async () => {
    await expect(createPusherEmulator({ ...APP, clientEventsPerSecond: 0 })).rejects.toThrow(
      /clientEventsPerSecond/,
    );
  });
});
