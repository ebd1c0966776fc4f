import { ErrorCodes } from '@patchbay/realtime-core';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from './broker.js';
import { createHubServer, type HubServer } from './createHubServer.js';
import { Hub, type HubOptions } from './hub.js';
import { HubError } from './hubError.js';
import { createMemoryBroker } from './memoryBroker.js';

type Reply = {
  ok: boolean;
  error?: { code: string; message: string };
  seq?: number;
  recovered?: boolean;
};

const servers: HubServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const server of servers.splice(0)) await server.close();
});

async function startHub(options: HubOptions = {}): Promise<HubServer> {
  const server = await createHubServer({ port: 0, allowAnonymous: true, ...options });
  servers.push(server);
  return server;
}

/** A raw Socket.IO client speaking the hub protocol, so tests can send anything. */
async function rawClient(
  server: HubServer,
  auth: Record<string, unknown>,
): Promise<{ socket: Socket; clientId: string }> {
  const socket = io(server.url, {
    path: '/patchbay/socket.io',
    transports: ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const welcome = await new Promise<{ clientId: string }>((resolve, reject) => {
    socket.once('pb:welcome', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, clientId: welcome.clientId };
}

function request(socket: Socket, frame: unknown): Promise<Reply> {
  return socket.timeout(3_000).emitWithAck('pb', frame);
}

function nextEvent<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

const onlyAlice: HubOptions['authorize'] = ({ clientId }) => clientId === 'alice';

describe('hub: authentication and authorization', () => {
  it('refuses a connection whose token the authenticate hook rejects, with code auth_rejected', async () => {
    const server = await startHub({
      authenticate: ({ token }) => (token === 'good' ? { clientId: 'alice' } : null),
    });
    const error = await rawClient(server, { token: 'forged' }).then(
      () => undefined,
      (e: Error & { data?: { code: string; message: string } }) => e,
    );
    expect(error?.data?.code).toBe('auth_rejected');
    expect(error?.data?.message).toMatch(/auth\(\)/);
    const { clientId } = await rawClient(server, { token: 'good' });
    expect(clientId).toBe('alice');
  });

  it.each([
    ['subscribe', { op: 'subscribe', channel: 'vault' }],
    ['publish', { op: 'publish', channel: 'vault', id: 'm1', event: 'e', data: 1 }],
    ['presence', { op: 'presence', channel: 'vault', action: 'enter', data: {} }],
  ])(
    'refuses an unauthorized %s with auth_rejected and a message naming user and channel',
    async (_, frame) => {
      const server = await startHub({ authorize: onlyAlice });
      const { socket } = await rawClient(server, { token: 'mallory' });
      const reply = await request(socket, frame);
      expect(reply.ok).toBe(false);
      expect(reply.error?.code).toBe('auth_rejected');
      expect(reply.error?.message).toContain('"mallory"');
      expect(reply.error?.message).toContain('"vault"');
      // The refusal does not cost the connection.
      expect((await request(socket, { op: 'history', channel: 'vault' })).ok).toBe(false);
      expect(socket.connected).toBe(true);
    },
  );

  it('stamps the authenticated identity on messages and presence: a clientId in the payload cannot impersonate', async () => {
    const server = await startHub();
    const { socket: bob } = await rawClient(server, { token: 'bob' });
    await request(bob, { op: 'subscribe', channel: 'room' });
    const { socket: mallory } = await rawClient(server, { token: 'mallory', clientId: 'bob' });
    const message = nextEvent<{ clientId: string; data: unknown }>(bob, 'pb:message');
    await request(mallory, {
      op: 'publish',
      channel: 'room',
      id: 'x1',
      event: 'chat',
      data: { clientId: 'bob', text: 'hi' },
    });
    expect(await message).toMatchObject({ clientId: 'mallory', data: { clientId: 'bob' } });

    const presence = nextEvent<{ event: { member: { clientId: string } } }>(bob, 'pb:presence');
    await request(mallory, {
      op: 'presence',
      channel: 'room',
      action: 'enter',
      data: { clientId: 'bob' },
    });
    expect((await presence).event.member.clientId).toBe('mallory');

    // A frame that tries to carry its own identity is malformed, not trusted.
    const forged = await request(mallory, {
      op: 'publish',
      channel: 'room',
      id: 'x2',
      event: 'chat',
      data: 1,
      clientId: 'bob',
    });
    expect(forged.error?.code).toBe('invalid_frame');
    expect(forged.error?.message).toMatch(/clientId/);
  });
});

describe('hub: limits and bad input', () => {
  it('slows a connection over its rate down instead of refusing it, keeping order', async () => {
    const server = await startHub({ rateLimit: { perSecond: 100, burst: 5 } });
    const { socket } = await rawClient(server, { token: 'alice' });
    const replies = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        request(socket, { op: 'publish', channel: 'paced', id: `p${i}`, event: 'e', data: i }),
      ),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(replies.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('answers a connection far over its rate with rate_limited and a clear message, then recovers', async () => {
    const server = await startHub({ rateLimit: { perSecond: 20, burst: 5, maxWaitMs: 0 } });
    const { socket } = await rawClient(server, { token: 'alice' });
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(socket, { op: 'publish', channel: 'r', id: `r${i}`, event: 'e', data: i }),
      ),
    );
    const limited = replies.filter((r) => r.error?.code === 'rate_limited');
    expect(replies.filter((r) => r.ok)).toHaveLength(5);
    expect(limited).toHaveLength(3);
    expect(limited[0]?.error?.message).toMatch(/slow down/);
    await new Promise((resolve) => setTimeout(resolve, 120));
    // A new message waits for the refused ones: they are sent again first, in order.
    expect(
      (await request(socket, { op: 'publish', channel: 'r', id: 'later', event: 'e', data: 1 })).ok,
    ).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    for (const id of ['r5', 'r6', 'r7', 'later']) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(
        (await request(socket, { op: 'publish', channel: 'r', id, event: 'e', data: 1 })).ok,
      ).toBe(true);
    }
  });

  it('refuses a message over maxMessageBytes with message_too_large and keeps the connection', async () => {
    const server = await startHub({ maxMessageBytes: 1_000 });
    const { socket } = await rawClient(server, { token: 'alice' });
    const reply = await request(socket, {
      op: 'publish',
      channel: 'big',
      id: 'b',
      event: 'e',
      data: 'x'.repeat(2_000),
    });
    expect(reply.error?.code).toBe('message_too_large');
    expect(reply.error?.message).toMatch(/at most 1000/);
    expect(
      (
        await request(socket, {
          op: 'publish',
          channel: 'big',
          id: 'ok',
          event: 'e',
          data: 'small',
        })
      ).ok,
    ).toBe(true);
  });

  it('refuses presence data over maxMessageBytes with message_too_large', async () => {
    const server = await startHub({ maxMessageBytes: 500 });
    const { socket } = await rawClient(server, { token: 'alice' });
    const reply = await request(socket, {
      op: 'presence',
      channel: 'p',
      action: 'enter',
      data: { bio: 'x'.repeat(600) },
    });
    expect(reply.error?.code).toBe('message_too_large');
    expect(reply.error?.message).toMatch(/Presence data/);
  });

  it('answers malformed frames with an error frame and keeps working', async () => {
    const server = await startHub();
    const { socket } = await rawClient(server, { token: 'alice' });
    const unknownOp = await request(socket, { op: 'explode' });
    expect(unknownOp.error?.code).toBe('invalid_frame');
    const badChannel = await request(socket, { op: 'subscribe', channel: 'no spaces please' });
    expect(badChannel.error?.message).toMatch(/channel: not a portable channel name/);
    const notAnObject = await request(socket, 'subscribe me');
    expect(notAnObject.error?.code).toBe('invalid_frame');

    const pushed = nextEvent<{ code: string; message: string }>(socket, 'pb:error');
    socket.emit('pb', { op: 'publish' }); // no ack: the error comes as an event
    expect((await pushed).code).toBe('invalid_frame');
    const unknownEvent = nextEvent<{ code: string; message: string }>(socket, 'pb:error');
    socket.emit('hack', { anything: true });
    expect((await unknownEvent).message).toMatch(/Unknown event "hack"/);

    expect(await request(socket, { op: 'subscribe', channel: 'fine' })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });
});

describe('hub: ordering', () => {
  it('keeps one connection’s publishes in order even when authorize() answers at random speeds', async () => {
    const server = await startHub({
      authorize: () =>
        new Promise((resolve) => setTimeout(() => resolve(true), Math.random() * 15)),
    });
    const { socket: watcher } = await rawClient(server, { token: 'watcher' });
    await request(watcher, { op: 'subscribe', channel: 'ordered' });
    const seen: number[] = [];
    watcher.on('pb:message', (m: { data: number }) => seen.push(m.data));
    const { socket } = await rawClient(server, { token: 'alice' });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(socket, { op: 'publish', channel: 'ordered', id: `o${i}`, event: 'n', data: i }),
      ),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    await expect.poll(() => seen.length).toBe(20);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('hub: a publish refused with a retryable error', () => {
  it('refuses the publishes behind it until it is sent again, so storage order is publish order', async () => {
    const memory = createMemoryBroker();
    let failNext = true;
    const broker: Broker = {
      ...memory,
      append: async (message) => {
        if (failNext) {
          failNext = false;
          throw new HubError(ErrorCodes.TransportError, 'Redis did not answer', {
            retryable: true,
          });
        }
        return memory.append(message);
      },
    };
    const hub = new Hub({ allowAnonymous: true, broker, rateLimit: false });
    const session = await hub.openSession(
      { token: 'alice', clientId: undefined, echo: true },
      { send: () => {}, terminate: () => {} },
    );
    const publish = (id: string) =>
      session.handle({ op: 'publish', channel: 'ordered', id, event: 'e', data: id });
    // m1 fails; m2 and m3 were already on the wire behind it.
    expect(await publish('m1')).toMatchObject({ ok: false, error: { retryable: true } });
    const m2 = await publish('m2');
    expect(m2).toMatchObject({ ok: false, error: { code: 'rate_limited', retryable: true } });
    expect((m2 as { error: { message: string } }).error.message).toMatch(/order/);
    expect(await publish('m3')).toMatchObject({ ok: false, error: { retryable: true } });
    // The client resends in order: m1 first, then the rest.
    for (const id of ['m1', 'm2', 'm3']) expect(await publish(id)).toMatchObject({ ok: true });
    expect((await hub.history('ordered')).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    await hub.close();
  });
});

describe('hub: history, recovery and presence', () => {
  it('replays exactly what a resubscribing client missed, in order, and says so', async () => {
    const server = await startHub();
    for (let n = 1; n <= 5; n++) await server.hub.publish('feed', 'n', n);
    const { socket } = await rawClient(server, { token: 'alice' });
    const replayed: number[] = [];
    socket.on('pb:message', (m: { data: number }) => replayed.push(m.data));
    const reply = await request(socket, { op: 'subscribe', channel: 'feed', resumeFrom: 2 });
    expect(reply).toMatchObject({ ok: true, recovered: true, seq: 5 });
    await expect.poll(() => replayed).toEqual([3, 4, 5]);
  });

  it('answers a position beyond the channel (the hub lost its state) with a discontinuity, then everything the channel holds', async () => {
    const server = await startHub();
    await server.hub.publish('reset', 'n', 1);
    const { socket } = await rawClient(server, { token: 'alice' });
    const events: string[] = [];
    socket.on('pb:discontinuity', (d: { reason: string }) =>
      events.push(`discontinuity:${d.reason}`),
    );
    socket.on('pb:message', (m: { data: number }) => events.push(`message:${m.data}`));
    expect(
      await request(socket, { op: 'subscribe', channel: 'reset', resumeFrom: 5 }),
    ).toMatchObject({ ok: true, recovered: false, resynced: true, seq: 1 });
    expect(events).toEqual(['discontinuity:history-unavailable', 'message:1']);
  });

  it('answers a position from before a broker restart (another epoch) with a discontinuity, then everything the new epoch holds, in order', async () => {
    const before = await startHub();
    const { socket: first } = await rawClient(before, { token: 'alice' });
    for (let n = 1; n <= 5; n++) await before.hub.publish('epoch', 'n', n);
    const initial = (await request(first, { op: 'subscribe', channel: 'epoch' })) as Reply & {
      epoch: string;
    };
    // The hub restarts on a fresh memory broker: sequence numbers start again and overtake 5.
    const after = await startHub();
    for (let n = 1; n <= 7; n++) await after.hub.publish('epoch', 'n', n * 10);
    const { socket } = await rawClient(after, { token: 'alice' });
    const events: string[] = [];
    let announced: string | undefined;
    socket.on('pb:discontinuity', (d: { epoch: string }) => {
      announced = d.epoch;
      events.push('discontinuity');
    });
    socket.on('pb:message', (m: { data: number; seq: number }) =>
      events.push(`${m.seq}:${m.data}`),
    );
    const reply = (await request(socket, {
      op: 'subscribe',
      channel: 'epoch',
      resumeFrom: 5,
      epoch: initial.epoch,
    })) as Reply & { epoch: string };
    expect(reply).toMatchObject({ ok: true, recovered: false, resynced: true, seq: 7 });
    expect(reply.epoch).not.toBe(initial.epoch);
    expect(announced).toBe(reply.epoch);
    // Position 5 of the old epoch says nothing about the new one: all seven come, not 6 and 7.
    expect(events).toEqual([
      'discontinuity',
      '1:10',
      '2:20',
      '3:30',
      '4:40',
      '5:50',
      '6:60',
      '7:70',
    ]);
  });

  it('reports recovered: false when history no longer reaches back', async () => {
    const server = await startHub({ historySize: 2 });
    for (let n = 1; n <= 5; n++) await server.hub.publish('short', 'n', n);
    const { socket } = await rawClient(server, { token: 'alice' });
    expect(
      await request(socket, { op: 'subscribe', channel: 'short', resumeFrom: 1 }),
    ).toMatchObject({
      ok: true,
      recovered: false,
      seq: 5,
    });
  });

  it('keeps a dropped member present for the grace period but removes a closed one at once', async () => {
    const server = await startHub({ presenceGraceMs: 200 });
    const { socket: watcher } = await rawClient(server, { token: 'watcher' });
    await request(watcher, { op: 'subscribe', channel: 'lobby' });
    const events: string[] = [];
    watcher.on('pb:presence', (f: { event: { type: string; member?: { clientId: string } } }) =>
      events.push(`${f.event.type}:${f.event.member?.clientId}`),
    );
    const { socket: dropped } = await rawClient(server, { token: 'dropper' });
    const { socket: closer } = await rawClient(server, { token: 'closer' });
    await request(dropped, { op: 'presence', channel: 'lobby', action: 'enter' });
    await request(closer, { op: 'presence', channel: 'lobby', action: 'enter' });
    for (const session of server.hub.sessions({ clientId: 'dropper' })) session.link.terminate();
    closer.disconnect();
    await expect.poll(() => events).toContain('leave:closer');
    expect(events).not.toContain('leave:dropper');
    await expect.poll(() => events, { timeout: 2_000 }).toContain('leave:dropper');
  });

  it('hub.close() ends every member at once, with no presence left behind', async () => {
    const server = await startHub({ presenceGraceMs: 60_000 });
    const { socket } = await rawClient(server, { token: 'alice' });
    await request(socket, { op: 'presence', channel: 'closing', action: 'enter' });
    const { socket: dropped } = await rawClient(server, { token: 'bob' });
    await request(dropped, { op: 'presence', channel: 'closing', action: 'enter' });
    for (const session of server.hub.sessions({ clientId: 'bob' })) session.link.terminate();
    await expect.poll(() => server.hub.sessions({ clientId: 'bob' }).length).toBe(0);
    expect(await server.hub.broker.presenceMembers('closing')).toHaveLength(2);
    await server.hub.close();
    expect(await server.hub.broker.presenceMembers('closing')).toEqual([]);
  });

  it('counts connections, channels and members in stats', async () => {
    const server = await startHub();
    const { socket: a } = await rawClient(server, { token: 'alice' });
    const { socket: b } = await rawClient(server, { token: 'alice' });
    await request(a, { op: 'presence', channel: 'room', action: 'enter' });
    await request(a, { op: 'subscribe', channel: 'room' });
    await request(b, { op: 'presence', channel: 'room', action: 'enter' });
    expect(await server.hub.stats()).toEqual({
      connections: 2,
      channels: 1,
      members: 1,
      slowConsumersClosed: 0,
    });
  });
});
