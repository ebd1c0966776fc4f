import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubServer, type HubServer } from './createHubServer.js';
import { Hub } from './hub.js';
import { createHub } from './index.js';
import { createSseHandler, type SseHandlerOptions } from './sse/createSseHandler.js';
import { createSseNodeHandler } from './sse/createSseNodeHandler.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('a hub without authenticate', () => {
  it('refuses to start, naming authenticate and allowAnonymous', () => {
    let caught: unknown;
    try {
      new Hub();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(ErrorCodes.InvalidConfig);
    expect((caught as Error).message).toMatch(/authenticate\(\{ token, clientId \}\)/);
    expect((caught as Error).message).toMatch(/allowAnonymous: true/);
    expect(() => createHub({ rateLimit: false })).toThrow(ConfigError);
    expect(() => new Hub({ allowAnonymous: false })).toThrow(ConfigError);
  });

  it('createHubServer refuses too, before it listens on a port', async () => {
    await expect(createHubServer({ port: 0 })).rejects.toThrow(/allowAnonymous: true/);
  });

  it('starts with an authenticate hook, which decides the identity', async () => {
    const hub = new Hub({
      authenticate: ({ token }) => (token === 'secret' ? { clientId: 'u1' } : null),
    });
    await expect(hub.identify('secret', 'mallory')).resolves.toEqual({ clientId: 'u1' });
    await expect(hub.identify('alice', undefined)).rejects.toMatchObject({
      code: ErrorCodes.AuthRejected,
    });
  });

  it('with allowAnonymous: true takes the development identity rule', async () => {
    const hub = new Hub({ allowAnonymous: true });
    await expect(hub.identify('alice.x', undefined)).resolves.toEqual({ clientId: 'alice' });
    await expect(hub.identify('bob', undefined)).resolves.toEqual({ clientId: 'bob' });
    await expect(hub.identify(undefined, 'carol')).resolves.toEqual({ clientId: 'carol' });
  });
});

/** A hub that counts authenticate calls, so a test sees whether a refused request got that far. */
function countingHub() {
  const calls = { authenticate: 0 };
  const hub = new Hub({
    authenticate: ({ token }) => {
      calls.authenticate++;
      return token ? { clientId: token } : null;
    },
  });
  return { hub, calls };
}

/** A cross-origin `text/plain` POST: what a page can send without a preflight. */
function simplePost(url: string, origin: string | undefined, init: { host?: string } = {}) {
  return new Request(`${url}/patchbay/sse/publish`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      ...(origin ? { origin } : {}),
      ...(init.host ? { host: init.host } : {}),
    },
    body: JSON.stringify({ channel: 'room', event: 'e', data: 1 }),
  });
}

describe('SSE endpoints and browser origins (fetch handler)', () => {
  const handler = (options?: SseHandlerOptions) => createSseHandler(countingHub().hub, options);

  it('refuses a cross-origin request by default with 403 naming the option that lists origins', async () => {
    const response = await handler()(simplePost('http://hub.test', 'https://evil.example'));
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(ErrorCodes.AuthRejected);
    expect(body.error.message).toMatch(/https:\/\/evil\.example/);
    expect(body.error.message).toMatch(/allowedOrigins/);
    expect(body.error.message).toMatch(/--allow-origin/);
    const preflight = await handler()(
      new Request('http://hub.test/patchbay/sse/publish', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      }),
    );
    expect(preflight.status).toBe(403);
  });

  it('lets same-origin requests and requests without Origin through', async () => {
    // No stream is named, so a request that gets through is answered 410 by the endpoint itself.
    const same = await handler()(simplePost('http://hub.test:8787', 'http://hub.test:8787'));
    expect(same.status).toBe(410);
    const https = await handler()(
      simplePost('http://internal:8787', 'https://app.example.com', { host: 'app.example.com' }),
    );
    expect(https.status).toBe(410);
    const server = await handler()(simplePost('http://hub.test', undefined));
    expect(server.status).toBe(410);
  });

  it('allows a listed origin, with CORS headers, and any origin with true', async () => {
    const listed = handler({ cors: { origin: ['https://app.example.com/'] } });
    const ok = await listed(simplePost('http://hub.test', 'https://app.example.com'));
    expect(ok.status).toBe(410);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await listed(simplePost('http://hub.test', 'https://other.example'))).status).toBe(403);
    const any = await handler({ cors: { origin: true } })(
      simplePost('http://hub.test', 'https://other.example'),
    );
    expect(any.status).toBe(410);
    expect(any.headers.get('access-control-allow-origin')).toBe('https://other.example');
  });

  it('refuses a list entry that is not an origin when the handler is created', () => {
    expect(() => handler({ cors: { origin: ['app.example.com'] } })).toThrow(ConfigError);
    expect(() => handler({ cors: { origin: ['https://app.example.com/chat'] } })).toThrow(
      /not an origin/,
    );
  });
});

describe('SSE endpoints and browser origins (Node handler)', () => {
  async function serve(options?: SseHandlerOptions) {
    const { hub, calls } = countingHub();
    const server = createServer(createSseNodeHandler(hub, options));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
  }

  it('refuses a cross-origin stream before authenticating it, and serves a listed origin', async () => {
    const closed = await serve();
    const refused = await fetch(`${closed.url}/patchbay/sse/stream?token=alice`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /allowedOrigins/,
    );
    expect(closed.calls.authenticate).toBe(0);
    expect(
      (await fetch(`${closed.url}/patchbay/sse/publish`, simplePostInit('https://evil.example')))
        .status,
    ).toBe(403);

    const open = await serve({ cors: { origin: ['https://app.example.com'] } });
    const allowed = await fetch(`${open.url}/patchbay/sse/stream?token=alice`, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    await allowed.body?.cancel();
    const same = await fetch(`${open.url}/patchbay/sse/stream?token=alice`, {
      headers: { origin: open.url },
    });
    expect(same.status).toBe(200);
    await same.body?.cancel();
  });
});

function simplePostInit(origin: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin },
    body: JSON.stringify({ channel: 'room', event: 'e', data: 1 }),
  };
}

describe('createHubServer allowedOrigins', () => {
  async function start(allowedOrigins?: readonly string[] | true): Promise<HubServer> {
    const server = await createHubServer({
      port: 0,
      allowAnonymous: true,
      ...(allowedOrigins !== undefined ? { allowedOrigins } : {}),
    });
    closers.push(async () => {
      await server.close();
      await server.hub.close();
    });
    return server;
  }

  it('refuses cross-origin SSE by default and allows the listed origins', async () => {
    const closed = await start();
    expect(
      (await fetch(`${closed.url}/patchbay/sse/publish`, simplePostInit('http://localhost:5173')))
        .status,
    ).toBe(403);
    const open = await start(['http://localhost:5173']);
    const listed = await fetch(
      `${open.url}/patchbay/sse/publish`,
      simplePostInit('http://localhost:5173'),
    );
    expect(listed.status).toBe(410);
    expect(listed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(
      (await fetch(`${open.url}/patchbay/sse/publish`, simplePostInit('http://localhost:4000')))
        .status,
    ).toBe(403);
  });

  it('refuses an allowedOrigins entry that is not an origin', async () => {
    await expect(
      createHubServer({ port: 0, allowAnonymous: true, allowedOrigins: ['localhost:5173'] }),
    ).rejects.toThrow(/createHubServer allowedOrigins: "localhost:5173" is not an origin/);
  });
});
