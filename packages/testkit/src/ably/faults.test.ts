import * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AblyEmulator, createAblyEmulator } from './createAblyEmulator.js';
import { Action, Flag, type ProtocolMessage } from './protocol.js';

let emulator: AblyEmulator;
const opened: Ably.Realtime[] = [];

function realtime(extra: Partial<Ably.ClientOptions> = {}): Ably.Realtime {
  const client = new Ably.Realtime({ ...emulator.clientOptions(), logLevel: 0, ...extra });
  opened.push(client);
  return client;
}

beforeAll(async () => {
  emulator = await createAblyEmulator({ port: 0 });
});
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});
afterAll(async () => {
  await emulator.close();
});

describe('Ably emulator fault injection', () => {
  it('stop() refuses connections on the port and start() serves it again', async () => {
    const port = emulator.port;
    await emulator.stop();
    const client = realtime({ autoConnect: false, disconnectedRetryTimeout: 60_000 });
    client.connect();
    await client.connection.whenState('disconnected');
    await emulator.start();
    expect(emulator.port).toBe(port);
    client.connect();
    await client.connection.whenState('connected');
  });

  it('a blackholed connection gets no ACK until it is dropped', async () => {
    const client = realtime({ clientId: 'silent' });
    await client.connection.whenState('connected');
    emulator.blackhole(client.connection.id as string);
    let settled = false;
    const publish = client.channels
      .get('void')
      .publish('x', 'lost?')
      .finally(() => {
        settled = true;
      });
    const rest = new Ably.Rest(emulator.clientOptions());
    await rest.channels.get('void').publish('probe', 'after'); // a round trip on another link
    expect(settled).toBe(false);
    emulator.drop(client.connection.id as string);
    await client.connection.whenState('connected');
    await publish; // re-sent after the resume and acknowledged once
  });

  it('after truncateHistory a re-attach from an old serial gets no replay and no RESUMED', async () => {
    const client = realtime({ clientId: 'trunc', disconnectedRetryTimeout: 50 });
    const channel = client.channels.get('trunc-room');
    const received: string[] = [];
    await channel.subscribe((m) => {
      received.push(String(m.data));
    });
    emulator.publish('trunc-room', { name: 'n', data: 'one' });
    await expect.poll(() => received).toEqual(['one']);
    const resumed: boolean[] = [];
    channel.on('attached', (change) => resumed.push(change.resumed));
    // While the emulator is down the client cannot come back, so the gap is deterministic.
    await emulator.stop();
    await client.connection.whenState('disconnected');
    emulator.publish('trunc-room', { name: 'n', data: 'two' });
    emulator.truncateHistory('trunc-room');
    await emulator.start();
    await client.connection.whenState('connected');
    await expect.poll(() => resumed).toEqual([false]);
    expect(received).toEqual(['one']);
  });

  it('a re-attach after an outage replays what the channel missed, with RESUMED', async () => {
    const client = realtime({ clientId: 'replay', disconnectedRetryTimeout: 50 });
    const channel = client.channels.get('replay-room');
    const received: string[] = [];
    await channel.subscribe((m) => {
      received.push(String(m.data));
    });
    emulator.publish('replay-room', { name: 'n', data: 'one' });
    await expect.poll(() => received).toEqual(['one']);
    const resumed: boolean[] = [];
    channel.on('attached', (change) => resumed.push(change.resumed));
    await emulator.stop();
    await client.connection.whenState('disconnected');
    emulator.publish('replay-room', { name: 'n', data: 'two' });
    await emulator.start();
    await expect.poll(() => received).toEqual(['one', 'two']);
    expect(resumed).toEqual([true]);
  });
});

/** A bare protocol client: the frames the emulator sends, and a way to send one. */
async function rawConnection() {
  const { endpoint, port, key } = emulator.clientOptions();
  const socket = new WebSocket(
    `ws://${endpoint}:${port}/?key=${encodeURIComponent(key)}&format=json`,
  );
  const frames: ProtocolMessage[] = [];
  socket.on('message', (raw) => frames.push(JSON.parse(String(raw)) as ProtocolMessage));
  await new Promise((resolve) => socket.once('open', resolve));
  await expect.poll(() => frames.some((f) => f.action === Action.CONNECTED)).toBe(true);
  return {
    frames,
    send: (frame: ProtocolMessage) => socket.send(JSON.stringify(frame)),
    close: () => socket.terminate(),
  };
}

describe('Ably emulator channel serials on a replaying re-attach', () => {
  it('ATTACHED carries the serial the client resumed from and each replayed message moves it on', async () => {
    const client = await rawConnection();
    try {
      const channel = 'serial-room';
      client.send({ action: Action.ATTACH, channel });
      await expect.poll(() => client.frames.some((f) => f.action === Action.ATTACHED)).toBe(true);
      emulator.publish(channel, { name: 'n', data: 'one' });
      await expect.poll(() => client.frames.at(-1)?.action).toBe(Action.MESSAGE);
      const position = client.frames.at(-1)?.channelSerial as string;

      // The service detaches the channel; two messages are published before the re-attach.
      emulator.detachChannel(channel);
      emulator.publish(channel, { name: 'n', data: 'two' });
      emulator.publish(channel, { name: 'n', data: 'three' });
      await expect.poll(() => client.frames.at(-1)?.action).toBe(Action.DETACHED);
      const from = client.frames.length;
      client.send({ action: Action.ATTACH, channel, channelSerial: position });
      await expect.poll(() => client.frames.length - from).toBe(3);
      const [attached, two, three] = client.frames.slice(from);
      expect(attached?.action).toBe(Action.ATTACHED);
      expect((attached?.flags ?? 0) & Flag.RESUMED).toBe(Flag.RESUMED);
      // Were the link cut right after ATTACHED, a resume from its serial replays both again.
      expect(attached?.channelSerial).toBe(position);
      expect([two?.messages?.[0]?.data, two?.channelSerial]).toEqual([
        'two',
        two?.messages?.[0]?.serial,
      ]);
      expect([three?.messages?.[0]?.data, three?.channelSerial]).toEqual([
        'three',
        three?.messages?.[0]?.serial,
      ]);
      expect(two?.channelSerial).not.toBe(position);
      expect(three?.channelSerial).not.toBe(two?.channelSerial);
    } finally {
      client.close();
    }
  });
});
