import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseHarness } from './sseHarness.js';

const harness = createSseHarness({ mount: 'fetch', heartbeatMs: 50 });
const base = () => `${harness.url()}/patchbay/sse`;

beforeAll(() => harness.setup?.());
afterAll(() => harness.teardown?.());

/** Read a raw SSE stream the way a native EventSource would. */
async function openRaw(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (e) => events.push(e),
    onComment: (c) => comments.push(c),
  });
  const decoder = new TextDecoder();
  void (async () => {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted
    }
  })();
  return { response, events, comments, close: () => abort.abort() };
}

describe('sse endpoints', () => {
  it('streams text/event-stream with a welcome, heartbeat comments and an id on every event', async () => {
    const stream = await openRaw(`${base()}/stream?channels=news`, {
      authorization: 'Bearer reader',
    });
    try {
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await expect.poll(() => stream.events[0]?.event).toBe('welcome');
      expect(JSON.parse(stream.events[0]?.data ?? '{}')).toMatchObject({
        clientId: 'reader',
        heartbeatMs: 50,
      });
      await expect.poll(() => stream.comments.length).toBeGreaterThanOrEqual(2);
      expect(stream.comments[0]).toBe('ping');
      await harness.serverPublish('news', 'headline', { n: 1 });
      await expect.poll(() => stream.events.find((e) => e.event === 'message')).toBeDefined();
      expect(stream.events.find((e) => e.event === 'message')?.id).toMatch(/^[A-Za-z0-9_-]+$/);
    } finally {
      stream.close();
    }
  });

  it('accepts the token in the query for native EventSource, and resumes from Last-Event-ID', async () => {
    const first = await openRaw(`${base()}/stream?token=native&channels=feed`);
    await expect.poll(() => first.events[0]?.event).toBe('welcome');
    expect(JSON.parse(first.events[0]?.data ?? '{}').clientId).toBe('native');
    await harness.serverPublish('feed', 'n', 1);
    await expect.poll(() => first.events.filter((e) => e.event === 'message').length).toBe(1);
    const lastId = first.events.filter((e) => e.event === 'message').at(-1)?.id as string;
    first.close();

    // Missed while away: 2 and 3. EventSource sends Last-Event-ID when it reconnects.
    await harness.serverPublish('feed', 'n', 2);
    await harness.serverPublish('feed', 'n', 3);
    const second = await openRaw(`${base()}/stream?token=native&channels=feed`, {
      'last-event-id': lastId,
    });
    try {
      await expect
        .poll(() =>
          second.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).data),
        )
        .toEqual([2, 3]);
    } finally {
      second.close();
    }
  });

  it('refuses a stream whose token the hub rejects with 401 and a JSON reason', async () => {
    const restore = await harness.rejectAuth({ clientId: 'banned' });
    try {
      const response = await fetch(`${base()}/stream`, {
        headers: { authorization: 'Bearer banned' },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'auth_rejected' } });
    } finally {
      restore();
    }
  });

  it('answers requests for unknown streams, foreign credentials and bad JSON with clear errors', async () => {
    const post = (op: string, headers: Record<string, string>, body: string) =>
      fetch(`${base()}/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const gone = await post(
      'subscribe',
      { 'x-patchbay-connection': 'nope', authorization: 'Bearer a' },
      '{"channel":"x"}',
    );
    expect(gone.status).toBe(410);
    expect((await gone.json()).error.message).toMatch(/open GET \/stream first/);

    const stream = await openRaw(`${base()}/stream`, { authorization: 'Bearer owner' });
    try {
      await expect.poll(() => stream.events[0]?.event).toBe('welcome');
      const { connectionId } = JSON.parse(stream.events[0]?.data ?? '{}');
      const hijack = await post(
        'publish',
        { 'x-patchbay-connection': connectionId, authorization: 'Bearer thief' },
        '{}',
      );
      expect(hijack.status).toBe(401);
      const badJson = await post(
        'publish',
        { 'x-patchbay-connection': connectionId, authorization: 'Bearer owner' },
        '{oops',
      );
      expect(badJson.status).toBe(400);
      expect((await badJson.json()).error.code).toBe('invalid_frame');
      const badFrame = await post(
        'subscribe',
        { 'x-patchbay-connection': connectionId, authorization: 'Bearer owner' },
        '{"channel":"has space"}',
      );
      expect(badFrame.status).toBe(400);
      const ok = await post(
        'subscribe',
        { 'x-patchbay-connection': connectionId, authorization: 'Bearer owner' },
        '{"channel":"fine"}',
      );
      expect(await ok.json()).toMatchObject({ ok: true });
    } finally {
      stream.close();
    }
  });

  it('connects over the query token when tokenInQuery is set (for proxies that strip headers)', async () => {
    const { sseTransport } = await import('./sseTransport.js');
    const { createRealtime, noConnectivitySignals } = await import('@patchbay/realtime-core');
    const seen: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const client = createRealtime({
      transport: sseTransport({ url: harness.url(), tokenInQuery: true, fetch: fetchSpy }),
      auth: () => 'query-user.t1',
      connectivity: noConnectivitySignals,
    });
    try {
      await client.connect();
      expect(client.connection.getSnapshot().clientId).toBe('query-user');
      expect(seen[0]).toContain('token=query-user.t1');
      await client.channel('query-room').publish('hello', 1);
      expect(seen.at(-1)).toMatch(/\/publish\?token=query-user\.t1$/);
    } finally {
      client.close();
    }
  });
});

describe('sse: publish batches', () => {
  it('splits queued large messages into batches the hub accepts, counting UTF-8 bytes', async () => {
    const { sseTransport } = await import('./sseTransport.js');
    const { createRealtime, noConnectivitySignals } = await import('@patchbay/realtime-core');
    const bodies: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (String(input).includes('/publish')) bodies.push(Buffer.byteLength(String(init?.body)));
      return fetch(input, init);
    };
    const publisher = createRealtime({
      transport: sseTransport({ url: harness.url(), fetch: counting }),
      auth: () => 'batcher.t1',
      connectivity: noConnectivitySignals,
    });
    const subscriber = createRealtime({
      transport: sseTransport({ url: harness.url() }),
      auth: () => 'reader.t1',
      connectivity: noConnectivitySignals,
    });
    try {
      await subscriber.connect();
      const seen: string[] = [];
      const channel = subscriber.channel('big-room');
      channel.subscribe((message) => seen.push(message.data as string));
      await channel.ready();
      // Queued while offline, then flushed at once: 3-byte characters (60 000 bytes in 20 000
      // characters) and ASCII, each just under the 64 KiB message limit.
      const payloads = [
        ...Array.from({ length: 6 }, (_, i) => `${i}${'€'.repeat(20_000)}`),
        ...Array.from({ length: 6 }, (_, i) => `${i}${'a'.repeat(60_000)}`),
      ];
      const sent = payloads.map((data) => publisher.channel('big-room').publish('blob', data));
      await publisher.connect();
      await Promise.all(sent);
      await expect.poll(() => seen.length).toBe(payloads.length);
      expect(seen).toEqual(payloads);
      // Batched (fewer requests than messages), and no request body past what the hub accepts.
      expect(bodies.length).toBeLessThan(payloads.length);
      for (const size of bodies) expect(size).toBeLessThanOrEqual(64 * 1024 * 4 + 64 * 1024);
    } finally {
      publisher.close();
      subscriber.close();
    }
  });
});

describe('sse: cross-origin use and token expiry', () => {
  it('answers a CORS preflight for a listed origin, and refuses an unlisted one', async () => {
    const preflightFrom = (url: string, origin: string) =>
      fetch(`${url}/publish`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, x-patchbay-connection',
        },
      });
    // The shared hub lists no origins: a page elsewhere is refused.
    expect((await preflightFrom(base(), 'http://app.example')).status).toBe(403);

    const { createServer } = await import('node:http');
    const { Hub, createSseNodeHandler } = await import('@patchbay/realtime-server');
    const hub = new Hub({ authenticate: ({ token }) => (token ? { clientId: token } : null) });
    const server = createServer(
      createSseNodeHandler(hub, { cors: { origin: ['http://app.example'] } }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const url = `http://127.0.0.1:${port}/patchbay/sse`;
      const preflight = await preflightFrom(url, 'http://app.example');
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
      expect(preflight.headers.get('access-control-allow-headers')).toContain(
        'x-patchbay-connection',
      );
      expect((await preflightFrom(url, 'http://other.example')).status).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
    }
  });

  it('a token that expires while the stream is open makes the client reconnect with a fresh one', async () => {
    const { createServer } = await import('node:http');
    const { Hub, createSseNodeHandler } = await import('@patchbay/realtime-server');
    const { sseTransport } = await import('./sseTransport.js');
    const { createRealtime, noConnectivitySignals } = await import('@patchbay/realtime-core');
    const valid = new Set<string>();
    const hub = new Hub({
      authenticate: ({ token }) => (token && valid.has(token) ? { clientId: 'expiring' } : null),
    });
    const server = createServer(createSseNodeHandler(hub));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    let issued = 0;
    const client = createRealtime({
      transport: sseTransport({ url: `http://127.0.0.1:${port}` }),
      auth: () => {
        const token = `t${++issued}`;
        valid.add(token);
        return token;
      },
      reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
      connectivity: noConnectivitySignals,
    });
    try {
      await client.connect();
      const received: unknown[] = [];
      client.channel('expiry').subscribe('n', (m) => received.push(m.data));
      await client.channel('expiry').ready();
      valid.delete('t1'); // the first token expires; the stream stays open
      await client.channel('expiry').publish('n', 1);
      await expect.poll(() => received).toEqual([1]);
      expect(issued).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
    }
  });
});
