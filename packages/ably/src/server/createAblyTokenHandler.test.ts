import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ablyTransport } from '../ablyTransport.js';
import { createAblyTokenHandler } from './createAblyTokenHandler.js';
import { publishFromServer } from './publishFromServer.js';

let emulator: AblyEmulator;
let rest: Ably.Rest;
let tokenServer: Server;
let authUrl: string;
const clients: RealtimeClient[] = [];

// The app's session: the `x-user` header names the user; "read-only" users may only listen.
const handler = createAblyTokenHandler({
  rest: {
    get auth() {
      return rest.auth;
    },
  },
  authenticate: (request) => {
    const user = request.headers.get('x-user');
    if (!user) return null;
    return user.startsWith('read-only')
      ? { clientId: user, capability: { 'public-*': ['subscribe'] } }
      : { clientId: user };
  },
});

beforeAll(async () => {
  emulator = await createAblyEmulator({ port: 0 });
  rest = new Ably.Rest({ ...emulator.clientOptions(), logLevel: 0 });
  // Bridge Node's http server to the web-standard handler, as a framework would.
  tokenServer = createServer(async (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const response = await handler(
      new Request(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', headers }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  authUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
  await emulator.close();
});

function clientAs(user: string): RealtimeClient {
  const { key: _key, ...where } = emulator.clientOptions();
  const client = createRealtime({
    connectivity: noConnectivitySignals,
    transport: ablyTransport({
      ably: Ably,
      clientOptions: { ...where, authUrl, authHeaders: { 'x-user': user }, logLevel: 0 },
    }),
  });
  clients.push(client);
  return client;
}

describe('createAblyTokenHandler', () => {
  it('answers an unauthenticated request with a 401 JSON error, never a token', async () => {
    const response = await handler(new Request('http://app.test/token'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'auth_rejected' } });
  });

  it('refuses other methods with 405', async () => {
    const response = await handler(new Request('http://app.test/token', { method: 'PUT' }));
    expect(response.status).toBe(405);
  });

  it('answers a bad capability with a 400 JSON error that names it', async () => {
    const bad = createAblyTokenHandler({
      rest,
      authenticate: () => ({ clientId: 'u', capability: { room: ['dance' as 'publish'] } }),
    });
    const response = await bad(new Request('http://app.test/token'));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: expect.stringContaining('room') },
    });
  });

  it('authUrl: the transport connects as the user the endpoint authenticated', async () => {
    const client = clientAs('url-alice');
    await client.connect();
    expect(client.connection.getSnapshot().clientId).toBe('url-alice');
  });

  it('the token capability is enforced: forbidden publish and subscribe reject with AuthError', async () => {
    const client = clientAs('read-only-bob');
    await client.connect();
    const received: unknown[] = [];
    client.channel('public-news').subscribe('n', (m) => received.push(m.data));
    await client.channel('public-news').ready();
    await expect(client.channel('public-news').publish('n', 1)).rejects.toMatchObject({
      code: 'auth_rejected',
    });
    client.channel('staff-room').subscribe(() => {});
    await expect(client.channel('staff-room').ready()).rejects.toMatchObject({
      code: 'auth_rejected',
    });
    await publishFromServer({ rest })('public-news', 'n', 42);
    await expect.poll(() => received).toEqual([42]);
  });
});
