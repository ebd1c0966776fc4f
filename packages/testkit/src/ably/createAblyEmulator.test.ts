import * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AblyEmulator, createAblyEmulator } from './createAblyEmulator.js';

let emulator: AblyEmulator;
const opened: Array<{ close(): void }> = [];

function realtime(extra: Partial<Ably.ClientOptions> = {}): Ably.Realtime {
  const client = new Ably.Realtime({ ...emulator.clientOptions(), ...extra });
  opened.push(client);
  return client;
}

function connected(client: Ably.Realtime): Promise<void> {
  return client.connection.whenState('connected').then(() => {});
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

describe('Ably emulator with the real ably client', () => {
  it('connects with basic auth on loopback and reports the clientId', async () => {
    const client = realtime({ clientId: 'alice' });
    await connected(client);
    expect(client.connection.id).toBeTruthy();
    expect(client.auth.clientId).toBe('alice');
    expect(emulator.connections().map((c) => c.clientId)).toContain('alice');
  });

  it('publish() resolves on ACK and subscribers receive the message', async () => {
    const alice = realtime({ clientId: 'alice' });
    const channel = alice.channels.get('ack-room');
    const received: unknown[] = [];
    await channel.subscribe('greet', (message) => {
      received.push(message.data);
    });
    await channel.publish('greet', { hi: 1 });
    await expect.poll(() => received).toEqual([{ hi: 1 }]);
  });

  it('publish() rejects on NACK with an Ably error code', async () => {
    const restore = emulator.rejectAuth({ channel: 'nack-room', operation: 'publish' });
    try {
      const client = realtime({ clientId: 'bob' });
      await connected(client);
      await expect(client.channels.get('nack-room').publish('x', 'no')).rejects.toMatchObject({
        code: 40160,
        statusCode: 401,
      });
      expect(client.connection.state).toBe('connected');
    } finally {
      restore();
    }
  });

  it('presence.get() resolves with members entered before and after attach', async () => {
    const alice = realtime({ clientId: 'p-alice' });
    await alice.channels.get('lobby').presence.enter({ mood: 'ok' });
    const bob = realtime({ clientId: 'p-bob' });
    const members = await bob.channels.get('lobby').presence.get();
    expect(members.map((m) => [m.clientId, m.data])).toEqual([['p-alice', { mood: 'ok' }]]);
    await alice.channels.get('lobby').presence.update({ mood: 'busy' });
    await expect
      .poll(async () => (await bob.channels.get('lobby').presence.get()).map((m) => m.data))
      .toEqual([{ mood: 'busy' }]);
  });

  it('Ably.Rest publishes through the emulator to realtime subscribers and reads history', async () => {
    const subscriber = realtime();
    const received: string[] = [];
    await subscriber.channels.get('news').subscribe((message) => {
      received.push(String(message.data));
    });
    const rest = new Ably.Rest(emulator.clientOptions());
    await rest.channels.get('news').publish('headline', 'one');
    await rest.channels.get('news').publish('headline', 'two');
    await expect.poll(() => received).toEqual(['one', 'two']);
    const page = await rest.channels.get('news').history({ limit: 1 });
    expect(page.items.map((m) => m.data)).toEqual(['two']);
    const older = await page.next();
    expect(older?.items.map((m) => m.data)).toEqual(['one']);
  });

  it('echoMessages: false suppresses own messages only', async () => {
    const quiet = realtime({ clientId: 'quiet', echoMessages: false });
    const other = realtime({ clientId: 'other' });
    const own: unknown[] = [];
    const seen: unknown[] = [];
    await quiet.channels.get('echo').subscribe((m) => {
      own.push(m.data);
    });
    await other.channels.get('echo').subscribe((m) => {
      seen.push(m.data);
    });
    await quiet.channels.get('echo').publish('e', 'mine');
    await other.channels.get('echo').publish('e', 'theirs');
    await expect.poll(() => seen).toEqual(['mine', 'theirs']);
    await expect.poll(() => own).toEqual(['theirs']);
  });

  it('a dropped connection resumes with the same connection id and gets what it missed', async () => {
    const subscriber = realtime({ clientId: 'resumer' });
    const received: unknown[] = [];
    await subscriber.channels.get('resume-room').subscribe((m) => {
      received.push(m.data);
    });
    const id = subscriber.connection.id as string;
    const rest = new Ably.Rest(emulator.clientOptions());
    await rest.channels.get('resume-room').publish('n', 'one');
    await expect.poll(() => received).toEqual(['one']);
    const disconnected = subscriber.connection.whenState('disconnected');
    emulator.drop(id);
    await disconnected;
    await rest.channels.get('resume-room').publish('n', 'two');
    await connected(subscriber);
    expect(subscriber.connection.id).toBe(id);
    await expect.poll(() => received).toEqual(['one', 'two']);
  });

  it('answers the time and connectivity checks ably-js may make, on loopback', async () => {
    const rest = new Ably.Rest(emulator.clientOptions());
    const now = Date.now();
    expect(await rest.time()).toBeGreaterThanOrEqual(now);
    const { connectivityCheckUrl, wsConnectivityCheckUrl } = emulator.clientOptions();
    expect(await (await fetch(connectivityCheckUrl)).text()).toBe('yes');
    const socket = new WebSocket(wsConnectivityCheckUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.close();
  });
});
