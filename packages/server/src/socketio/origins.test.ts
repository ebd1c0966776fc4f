import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIOServer } from 'socket.io';
import { type Socket as ClientSocket, io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';
import {
  type AttachSocketIOOptions,
  attachSocketIO,
  DEFAULT_SOCKETIO_PATH,
  type SocketIOEndpoint,
} from './attachSocketIO.js';

const EVIL = 'https://evil.example';
const APP = 'https://app.example';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(http: Server): Promise<number> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return (http.address() as AddressInfo).port;
}

function newHub(): Hub {
  const hub = new Hub({ allowAnonymous: true });
  cleanups.push(() => hub.close());
  return hub;
}

async function hubOn(options: AttachSocketIOOptions = {}): Promise<number> {
  const http = createServer();
  const port = await listen(http);
  const endpoint: SocketIOEndpoint = attachSocketIO(newHub(), http, options);
  cleanups.push(() => endpoint.close());
  return port;
}

/** Engine.IO's opening request over long-polling, as a browser page would send it. */
function pollingHandshake(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `${DEFAULT_SOCKETIO_PATH}/?EIO=4&transport=polling`,
        headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket opening handshake straight to the endpoint: the status it answers (101 = open). */
function upgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: `${DEFAULT_SOCKETIO_PATH}/?EIO=4&transport=websocket`,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A Node socket.io-client over WebSocket; resolves on connect, or with the refusal. */
function clientConnect(
  port: number,
  extraHeaders: Record<string, string> = {},
): Promise<{ connected: true } | { connected: false; error: Error & { data?: unknown } }> {
  const socket: ClientSocket = connectClient(`http://127.0.0.1:${port}`, {
    path: DEFAULT_SOCKETIO_PATH,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders,
    auth: { clientId: 'node-client' },
  });
  cleanups.push(() => {
    socket.disconnect();
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once('connect_error', (error) => resolve({ connected: false, error }));
  });
}

describe('attachSocketIO origins: default (no cross-origin browser access)', () => {
  it('accepts clients that send no Origin (Node, native apps)', async () => {
    const port = await hubOn();
    expect(await clientConnect(port)).toEqual({ connected: true });
    expect((await pollingHandshake(port, {})).status).toBe(200);
  });

  it('refuses a page on another origin, over polling and over a direct WebSocket upgrade', async () => {
    const port = await hubOn();
    const polling = await pollingHandshake(port, { origin: EVIL });
    expect(polling.status).toBe(403);
    expect(polling.body).toContain(`origin ${EVIL} may not use this Patchbay hub`);
    expect(polling.headers['access-control-allow-origin']).toBeUndefined();
    expect(await upgrade(port, { origin: EVIL })).not.toBe(101);
    expect((await clientConnect(port, { origin: EVIL })).connected).toBe(false);
  });

  it("accepts a page served from the hub's own origin (Origin host = Host)", async () => {
    const port = await hubOn();
    const own = `http://127.0.0.1:${port}`;
    expect((await pollingHandshake(port, { origin: own })).status).toBe(200);
    expect(await upgrade(port, { origin: own })).toBe(101);
    expect(await clientConnect(port, { origin: own })).toEqual({ connected: true });
    // Same host name, another port: another origin.
    expect((await pollingHandshake(port, { origin: `http://127.0.0.1:${port + 1}` })).status).toBe(
      403,
    );
  });

  it('sends no CORS headers', async () => {
    const port = await hubOn();
    const own = await pollingHandshake(port, { origin: `http://127.0.0.1:${port}` });
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('attachSocketIO origins: listed', () => {
  it('accepts listed origins with CORS headers for them, and refuses the others', async () => {
    const port = await hubOn({ cors: { origin: [APP] } });
    const listed = await pollingHandshake(port, { origin: APP });
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(APP);
    expect(await upgrade(port, { origin: APP })).toBe(101);
    expect(await clientConnect(port, { origin: APP })).toEqual({ connected: true });
    const other = await pollingHandshake(port, { origin: EVIL });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(await upgrade(port, { origin: EVIL })).not.toBe(101);
  });

  it('takes one origin as a string, a trailing slash dropped', async () => {
    const port = await hubOn({ cors: { origin: `${APP}/` } });
    expect((await pollingHandshake(port, { origin: APP })).status).toBe(200);
    expect((await pollingHandshake(port, { origin: EVIL })).status).toBe(403);
  });

  it('refuses a list entry that is not an origin, at start', () => {
    const http = createServer();
    expect(() =>
      attachSocketIO(newHub(), http, { cors: { origin: ['https://app.example/chat'] } }),
    ).toThrow(/is not an origin/);
  });

  it('origin: true accepts any origin', async () => {
    const port = await hubOn({ cors: { origin: true } });
    const any = await pollingHandshake(port, { origin: EVIL });
    expect(any.status).toBe(200);
    expect(any.headers['access-control-allow-origin']).toBe(EVIL);
    expect(await upgrade(port, { origin: EVIL })).toBe(101);
  });
});

describe('attachSocketIO origins: composed with the app', () => {
  it("runs the app's allowRequest after the origin check", async () => {
    const asked: Array<string | undefined> = [];
    const port = await hubOn({
      server: {
        allowRequest: (req, callback) => {
          asked.push(req.headers.origin);
          callback('closed for maintenance', false);
        },
      },
    });
    expect((await pollingHandshake(port, { origin: EVIL })).status).toBe(403);
    const plain = await pollingHandshake(port, {});
    expect(plain.status).toBe(403);
    expect(plain.body).toContain('closed for maintenance');
    expect(asked).toEqual([undefined]);
  });

  it("on the app's own Socket.IO server, refuses another origin's handshake with auth_rejected", async () => {
    const http = createServer();
    const port = await listen(http);
    const io = new SocketIOServer(http, { path: DEFAULT_SOCKETIO_PATH });
    cleanups.push(() => {
      io.disconnectSockets(true);
      io.engine.close();
    });
    attachSocketIO(newHub(), io, { cors: { origin: [APP] } });
    const refused = await clientConnect(port, { origin: EVIL });
    expect(refused.connected).toBe(false);
    expect(refused.connected === false && refused.error.data).toMatchObject({
      code: 'auth_rejected',
    });
    expect(await clientConnect(port, { origin: APP })).toEqual({ connected: true });
    expect(await clientConnect(port)).toEqual({ connected: true });
  });
});
