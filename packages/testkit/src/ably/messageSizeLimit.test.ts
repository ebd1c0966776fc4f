import * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AblyEmulator, createAblyEmulator } from './createAblyEmulator.js';
import { Action, type ProtocolMessage } from './protocol.js';

const LIMIT = 65_536;
const SEVENTY_KIB = 70 * 1024;

let emulator: AblyEmulator;
const opened: Array<{ close(): void }> = [];

function realtime(extra: Partial<Ably.ClientOptions> = {}): Ably.Realtime {
  const client = new Ably.Realtime({ ...emulator.clientOptions(), logLevel: 0, ...extra });
  opened.push(client);
  return client;
}

/** A realtime subscriber on `channel`, collecting the data of every message it receives. */
async function subscriber(channel: string): Promise<unknown[]> {
  const received: unknown[] = [];
  await realtime()
    .channels.get(channel)
    .subscribe((message) => {
      received.push(message.data);
    });
  return received;
}

/** A bare WebSocket speaking the JSON protocol, so the emulator's own check is reached. */
async function rawConnection() {
  const { port, apiKey } = emulator;
  const socket = new WebSocket(
    `ws://127.0.0.1:${port}/?key=${encodeURIComponent(apiKey)}&format=json&v=6`,
  );
  opened.push(socket);
  const inbox: ProtocolMessage[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (raw) => {
    inbox.push(JSON.parse(String(raw)) as ProtocolMessage);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (action: number): Promise<ProtocolMessage> => {
    for (;;) {
      const index = inbox.findIndex((m) => m.action === action);
      if (index >= 0) return inbox.splice(index, 1)[0] as ProtocolMessage;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const connected = await next(Action.CONNECTED);
  return { socket, connected, next, send: (m: ProtocolMessage) => socket.send(JSON.stringify(m)) };
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

describe("Ably emulator: Ably's 64 KiB message size limit", () => {
  it('advertises maxMessageSize 65536 in connectionDetails', async () => {
    const { connected } = await rawConnection();
    expect(connected.connectionDetails).toMatchObject({ maxMessageSize: LIMIT });
  });

  it('a 70 KiB realtime publish rejects with 40009 and the channel stays usable', async () => {
    const received = await subscriber('big-rt');
    const client = realtime({ clientId: 'big' });
    const channel = client.channels.get('big-rt');
    await expect(channel.publish('n', 'x'.repeat(SEVENTY_KIB))).rejects.toMatchObject({
      code: 40009,
    });
    await channel.publish('n', 'small');
    await expect.poll(() => received).toEqual(['small']);
    expect(client.connection.state).toBe('connected');
  });

  it('a realtime publish of exactly 65536 bytes (name + data) is delivered', async () => {
    const received = await subscriber('edge-rt');
    const data = 'x'.repeat(LIMIT - 1);
    await realtime().channels.get('edge-rt').publish('n', data);
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toBe(data);
  });

  it('binary data at the limit is delivered: it is counted before base64, as ably-js counts it', async () => {
    const received = await subscriber('edge-bin');
    const bytes = Buffer.alloc(LIMIT - 1, 7);
    await realtime().channels.get('edge-bin').publish('n', bytes);
    await expect.poll(() => received.length).toBe(1);
    expect(Buffer.from(received[0] as Uint8Array).equals(bytes)).toBe(true);
  });

  it('the emulator NACKs an over-limit MESSAGE with 40009 / 413 and ACKs the next one', async () => {
    // ably-js refuses an over-limit publish itself; a bare socket reaches the server-side check.
    const received = await subscriber('big-raw');
    const raw = await rawConnection();
    raw.send({
      action: Action.MESSAGE,
      channel: 'big-raw',
      msgSerial: 0,
      messages: [{ name: 'n', data: 'x'.repeat(LIMIT) }],
    });
    const nack = await raw.next(Action.NACK);
    expect(nack).toMatchObject({ msgSerial: 0, count: 1, error: { code: 40009, statusCode: 413 } });
    expect(nack.error?.message).toContain(`was ${LIMIT + 1} bytes, against a limit of ${LIMIT}`);
    raw.send({
      action: Action.MESSAGE,
      channel: 'big-raw',
      msgSerial: 1,
      messages: [{ name: 'n', data: 'small' }],
    });
    expect(await raw.next(Action.ACK)).toMatchObject({ msgSerial: 1 });
    await expect.poll(() => received).toEqual(['small']);
  });

  it('a 70 KiB REST publish answers HTTP 413 with 40009, and the limit covers a batch', async () => {
    const received = await subscriber('big-rest');
    // A client limit above the service's lets the request reach the emulator, as a raw call would.
    const rest = new Ably.Rest({ ...emulator.clientOptions(), maxMessageSize: 1_000_000 });
    const channel = rest.channels.get('big-rest');
    await expect(channel.publish('n', 'x'.repeat(SEVENTY_KIB))).rejects.toMatchObject({
      code: 40009,
      statusCode: 413,
    });
    const half = 'x'.repeat(LIMIT / 2);
    await expect(
      channel.publish([
        { name: 'a', data: half },
        { name: 'b', data: half },
      ]),
    ).rejects.toMatchObject({ code: 40009, statusCode: 413 });
    await channel.publish('n', 'x'.repeat(LIMIT - 1));
    await channel.publish('n', 'small');
    await expect.poll(() => received.length).toBe(2);
    expect(received[1]).toBe('small');
  });
});

describe('Ably emulator: frames it cannot process', () => {
  it('answers a message nested 20 000 levels deep with a NACK, and the connection keeps working', async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const frame = `{"action":${Action.MESSAGE},"channel":"deep","msgSerial":0,"messages":[{"name":"n","data":${deep}}]}`;
    const { socket, next: nextOnDeep, send: sendOnDeep } = await rawConnection();
    sendOnDeep({ action: Action.ATTACH, channel: 'deep' } as ProtocolMessage);
    await nextOnDeep(Action.ATTACHED);
    socket.send(frame);
    const nack = await nextOnDeep(Action.NACK);
    expect(nack).toMatchObject({ msgSerial: 0, error: { code: 40000, statusCode: 400 } });
    expect(nack.error?.message).toMatch(/nested too deeply/);
    // The emulator is still up, and this connection still publishes.
    sendOnDeep({
      action: Action.MESSAGE,
      channel: 'deep',
      msgSerial: 1,
      messages: [{ name: 'n', data: 'flat' }],
    } as ProtocolMessage);
    expect(await nextOnDeep(Action.ACK)).toMatchObject({ msgSerial: 1 });
  });
});
