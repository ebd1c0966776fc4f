import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubServer, type HubServer } from './createHubServer.js';
import { createPublishHandler } from './createPublishHandler.js';
import { Hub } from './hub.js';

const SECRET = 'test-publish-secret-0123456789';

const servers: HubServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const server of servers.splice(0)) {
    await server.close();
    await server.hub.close();
  }
});

async function start(options: { publishSecret?: string; maxMessageBytes?: number } = {}) {
  const server = await createHubServer({ port: 0, allowAnonymous: true, ...options });
  servers.push(server);
  return server;
}

function post(
  server: HubServer,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${SECRET}` },
) {
  return fetch(`${server.url}/patchbay/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A raw Socket.IO client subscribed to `channel`, collecting the message frames it receives. */
async function subscriber(server: HubServer, channel: string) {
  const socket = io(server.url, {
    path: '/patchbay/socket.io',
    transports: ['websocket'],
    auth: { token: 'watcher' },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const frames: Array<Record<string, unknown>> = [];
  socket.on('pb:message', (frame: Record<string, unknown>) => frames.push(frame));
  await new Promise((resolve, reject) => {
    socket.once('pb:welcome', resolve);
    socket.once('connect_error', reject);
  });
  const reply = await new Promise<{ ok: boolean }>((resolve) =>
    socket.emit('pb', { op: 'subscribe', channel }, resolve),
  );
  expect(reply.ok).toBe(true);
  return frames;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('POST /patchbay/publish', () => {
  it('is off without a publish secret, and the refusal says how to turn it on', async () => {
    const server = await start();
    const response = await post(server, { channel: 'room', event: 'note', data: 1 });
    expect(response.status).toBe(404);
    const { error } = await response.json();
    expect(error.code).toBe('not_supported');
    expect(error.message).toMatch(/--publish-secret/);
    expect(error.message).toMatch(/PATCHBAY_PUBLISH_SECRET/);
    expect(await server.hub.history('room')).toEqual([]);
  });

  it('refuses a missing or wrong secret with 401 and publishes nothing', async () => {
    const server = await start({ publishSecret: SECRET });
    const missing = await post(server, { channel: 'room', event: 'note' }, {});
    expect(missing.status).toBe(401);
    expect((await missing.json()).error).toMatchObject({
      code: 'auth_rejected',
      message: expect.stringMatching(/Authorization: Bearer/),
    });
    const wrong = await post(
      server,
      { channel: 'room', event: 'note' },
      { authorization: `Bearer ${SECRET}x` },
    );
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.message).toMatch(/does not match/);
    expect(await server.hub.history('room')).toEqual([]);
  });

  it('delivers to subscribers with the given id and clientId, and answers { id, seq, timestamp }', async () => {
    const server = await start({ publishSecret: SECRET });
    const frames = await subscriber(server, 'orders');
    const response = await post(server, {
      channel: 'orders',
      event: 'created',
      data: { orderId: 7 },
      id: 'order-7-created',
      clientId: 'billing-service',
    });
    expect(response.status).toBe(200);
    const reply = await response.json();
    expect(reply).toEqual({ id: 'order-7-created', seq: 1, timestamp: expect.any(Number) });
    await until(() => frames.length === 1);
    expect(frames[0]).toMatchObject({
      channel: 'orders',
      event: 'created',
      data: { orderId: 7 },
      id: 'order-7-created',
      clientId: 'billing-service',
      seq: 1,
    });
    expect((await server.hub.history('orders'))[0]).toMatchObject({ clientId: 'billing-service' });
  });

  it('a retry with the same id is answered with the stored message and delivered once', async () => {
    const server = await start({ publishSecret: SECRET });
    const frames = await subscriber(server, 'orders');
    const message = { channel: 'orders', event: 'created', data: 1, id: 'retry-me' };
    const first = await (await post(server, message)).json();
    const retry = await (await post(server, message)).json();
    expect(retry).toEqual(first);
    await post(server, { channel: 'orders', event: 'after', id: 'marker' });
    await until(() => frames.some((frame) => frame.id === 'marker'));
    expect(frames.map((frame) => frame.id)).toEqual(['retry-me', 'marker']);
    expect(await server.hub.history('orders')).toHaveLength(2);
  });

  it('refuses invalid input with 400 and a message naming the problem', async () => {
    const server = await start({ publishSecret: SECRET });
    const cases: Array<[unknown, string, RegExp]> = [
      ['{not json', 'invalid_frame', /not valid JSON/],
      [[1, 2], 'invalid_frame', /JSON object/],
      [{ event: 'note' }, 'invalid_frame', /"channel" is required/],
      [{ channel: 'room' }, 'invalid_frame', /"event" is required/],
      [{ channel: 'room', event: 'note', extra: 1 }, 'invalid_frame', /unknown field\(s\) "extra"/],
      [{ channel: 'room', event: 'note', id: '' }, 'invalid_frame', /"id"/],
      [{ channel: 'a room', event: 'note' }, 'invalid_channel_name', /character " " at position 1/],
      [{ channel: 'private-room', event: 'note' }, 'invalid_channel_name', /reserved/],
      [{ channel: 'room', event: '' }, 'validation_failed', /non-empty/],
      [{ channel: 'room', event: 'patchbay:typing' }, 'validation_failed', /"patchbay:"/],
    ];
    for (const [body, code, message] of cases) {
      const response = await post(server, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = await response.json();
      expect(error.code, JSON.stringify(body)).toBe(code);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await server.hub.history('room')).toEqual([]);
  });

  it('refuses a message over maxMessageBytes with 413, and a body far over it before reading it all', async () => {
    const server = await start({ publishSecret: SECRET, maxMessageBytes: 1_000 });
    const over = await post(server, { channel: 'room', event: 'note', data: 'x'.repeat(1_200) });
    expect(over.status).toBe(413);
    expect((await over.json()).error).toMatchObject({
      code: 'message_too_large',
      message: expect.stringMatching(/at most 1000/),
    });
    const huge = await post(server, { channel: 'room', event: 'note', data: 'x'.repeat(50_000) });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('message_too_large');
    const fits = await post(server, { channel: 'room', event: 'note', data: 'x'.repeat(900) });
    expect(fits.status).toBe(200);
  });

  it('answers other methods with 405', async () => {
    const server = await start({ publishSecret: SECRET });
    const response = await fetch(`${server.url}/patchbay/publish`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(response.status).toBe(405);
  });

  it('works as a web-standard handler (e.g. a Next.js route), publishing into its hub', async () => {
    const hub = new Hub({ allowAnonymous: true });
    const handler = createPublishHandler(hub, { secret: SECRET });
    const response = await handler(
      new Request('http://app.test/api/publish', {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'room', event: 'note', data: null, clientId: 'cron' }),
      }),
    );
    expect(response.status).toBe(200);
    expect(await hub.history('room')).toMatchObject([
      { event: 'note', data: null, clientId: 'cron' },
    ]);
    await hub.close();
  });
});
