import { get, type IncomingMessage } from 'node:http';
import { createTcpProxy } from '@patchbay/realtime-testkit';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHubServer, type HubServer, type HubServerOptions } from './createHubServer.js';
import { Hub } from './hub.js';
import { createSseHandler } from './sse/createSseHandler.js';
import { decodeCursor } from './sse/sseWire.js';

/**
 * A connection that stops reading must not make the hub buffer for it forever: over
 * `maxBufferedBytes` of unsent bytes it is closed with `slow_consumer`, and readers that keep up
 * get everything.
 */

const CHANNEL = 'room';
const PAYLOAD = 'x'.repeat(1_000);
/** 20 000 × 1 KB: far past the 1 MiB bound plus what loopback socket buffers hold. */
const TOTAL = 20_000;

/**
 * For tests whose reading client must get everything while another stalls. The grace is long
 * enough that a loaded machine, slow to drain a burst, cannot make the reader look slow; the
 * stalled client is still closed at once, being far past 4 × the bound. The linger outlasts the
 * publishing that follows that close, so the stalled client can still read its goodbye after it.
 */
const PATIENT = { slowConsumerGraceMs: 10_000, slowConsumerLingerMs: 30_000 } as const;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const step of cleanup.splice(0).reverse()) await step();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function startHub(options: Partial<HubServerOptions> = {}): Promise<HubServer> {
  const server = await createHubServer({
    port: 0,
    allowAnonymous: true,
    rateLimit: false,
    ...options,
  });
  cleanup.push(() => server.close());
  return server;
}

/**
 * Publish `TOTAL` 1 KB messages from the server, never more than 256 ahead of the reading client
 * (`delivered()`): the reader keeps up, so only the stopped one may fall behind.
 */
async function publishPaced(hub: Hub, delivered: () => number): Promise<void> {
  for (let i = 0; i < TOTAL; i++) {
    while (i - delivered() > 256) await sleep(1);
    await hub.publish(CHANNEL, 'm', { i, payload: PAYLOAD });
  }
}

interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** A raw SSE stream over `http.get`, parsed into events. */
async function openSse(
  server: HubServer,
  clientId: string,
): Promise<{ res: IncomingMessage; events: SseEvent[]; messages: number[]; ended: Promise<void> }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(
      `${server.url}/patchbay/sse/stream?clientId=${clientId}&channels=${CHANNEL}`,
      resolve,
    );
    request.on('error', reject);
    cleanup.push(() => request.destroy());
  });
  const events: SseEvent[] = [];
  const messages: number[] = [];
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
    let end = text.indexOf('\n\n');
    while (end !== -1) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      end = text.indexOf('\n\n');
      const event: SseEvent = { event: 'message', data: '', id: undefined };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
      }
      if (block.startsWith(':')) continue;
      events.push(event);
      if (event.event === 'message')
        messages.push((JSON.parse(event.data).data as { i: number }).i);
    }
  });
  const ended = new Promise<void>((resolve) => res.once('close', () => resolve()));
  return { res, events, messages, ended };
}

async function socketClient(url: string, clientId: string): Promise<Socket> {
  const socket = io(url, {
    path: '/patchbay/socket.io',
    transports: ['websocket'],
    auth: { clientId },
    reconnection: false,
    forceNew: true,
  });
  cleanup.push(() => socket.close());
  await new Promise((resolve, reject) => {
    socket.once('pb:welcome', resolve);
    socket.once('connect_error', reject);
  });
  const reply = (await socket
    .timeout(3_000)
    .emitWithAck('pb', { op: 'subscribe', channel: CHANNEL })) as { ok: boolean };
  expect(reply.ok).toBe(true);
  return socket;
}

describe('slow consumers: SSE (Node handler)', () => {
  it('closes a stream that stops reading with slow_consumer, while a reading stream gets all 20 000 messages', async () => {
    const server = await startHub(PATIENT);
    const { hub } = server;
    const reader = await openSse(server, 'reader');
    const slow = await openSse(server, 'slow');
    await waitUntil('both streams subscribed', () => hub.subscriberCount(CHANNEL) === 2);
    // Stop reading: Node stops reading the socket once the response's buffer is full.
    slow.res.pause();

    await publishPaced(hub, () => reader.messages.length);
    await waitUntil('every message at the reader', () => reader.messages.length === TOTAL);

    expect(reader.messages).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    const stats = await hub.stats();
    expect(stats.slowConsumersClosed).toBe(1);
    expect(stats.connections).toBe(1);
    expect(hub.subscriberCount(CHANNEL)).toBe(1);

    // Reading again within the linger, the slow client gets what was buffered, then the reason,
    // then the end; the reason's cursor is the position it resumes from.
    slow.res.resume();
    await slow.ended;
    const last = slow.events.at(-1);
    expect(last?.event).toBe('error');
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      code: 'slow_consumer',
      retryable: true,
    });
    expect(slow.messages.length).toBeGreaterThan(0);
    expect(slow.messages.length).toBeLessThan(TOTAL);
    expect(slow.messages).toEqual(Array.from({ length: slow.messages.length }, (_, i) => i));
    const cursor = decodeCursor(last?.id);
    expect(cursor.get(CHANNEL)).toBe(slow.messages.length);
  }, 60_000);

  it('serves slowConsumersClosed on /health', async () => {
    const server = await startHub();
    server.hub.noteSlowConsumer();
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ ok: true, slowConsumersClosed: 1 });
  });
});

describe('slow consumers: Socket.IO', () => {
  it('disconnects a socket that stops reading with slow_consumer, while a reading socket gets all 20 000 messages', async () => {
    const server = await startHub(PATIENT);
    const { hub } = server;
    // A proxy that stops reading the hub's bytes, as a client that stopped reading its socket.
    const proxy = await createTcpProxy({ upstream: server.port });
    cleanup.push(() => proxy.close());
    const received: number[] = [];
    const reader = await socketClient(server.url, 'reader');
    reader.on('pb:message', (message: { data: { i: number } }) => received.push(message.data.i));
    const slow = await socketClient(proxy.url, 'slow');
    const slowErrors: Array<{ code: string }> = [];
    slow.on('pb:error', (error: { code: string }) => slowErrors.push(error));
    const slowDisconnected = new Promise<string>((resolve) => slow.once('disconnect', resolve));
    proxy.stall(true);

    await publishPaced(hub, () => received.length);
    await waitUntil('every message at the reader', () => received.length === TOTAL);

    expect(received).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    const stats = await hub.stats();
    expect(stats.slowConsumersClosed).toBe(1);
    expect(stats.connections).toBe(1);

    // Forwarding again within the linger: the slow socket reads its backlog, the reason, and
    // the server's disconnect.
    proxy.stall(false);
    expect(await slowDisconnected).toBe('io server disconnect');
    expect(slowErrors).toEqual([expect.objectContaining({ code: 'slow_consumer' })]);
  }, 60_000);
});

describe('slow consumers: SSE (fetch handler)', () => {
  async function openFetchStream(hub: Hub, clientId: string) {
    const handler = createSseHandler(hub);
    const response = await handler(
      new Request(`http://hub.test/patchbay/sse/stream?clientId=${clientId}&channels=${CHANNEL}`),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    cleanup.push(() => reader.cancel().catch(() => {}));
    return reader;
  }

  async function readText(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
    let text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  }

  const count = (text: string) => text.split('event: message\n').length - 1;

  it('closes a stream whose reader stops pulling (desiredSize in bytes), while a pulling reader gets everything', async () => {
    // The default grace: the pulling reader stays under the bound (never more than 256 messages
    // behind), and the slow stream stays under 4 × it, so only the grace can close it. The linger
    // outlasts the publishing after that close, so its queue is still there to read.
    const hub = new Hub({ allowAnonymous: true, rateLimit: false, slowConsumerLingerMs: 30_000 });
    cleanup.push(() => hub.close());
    const slow = await openFetchStream(hub, 'slow');
    const pulling = await openFetchStream(hub, 'reader');
    let pulled = 0;
    const decoder = new TextDecoder();
    const pulledAll = (async () => {
      while (pulled < 3_000) {
        const { done, value } = await pulling.read();
        if (done) return;
        pulled += count(decoder.decode(value));
      }
    })();
    await waitUntil('both streams subscribed', () => hub.subscriberCount(CHANNEL) === 2);

    // 3 000 × ~1.1 KB: past the 1 MiB bound; the slow reader pulls nothing meanwhile.
    for (let i = 0; i < 3_000; i++) {
      while (i - pulled > 256) await sleep(1);
      await hub.publish(CHANNEL, 'm', { i, payload: PAYLOAD });
    }
    await pulledAll;
    // Over the bound for the grace period (1 s), the stream that does not pull is closed.
    await waitUntil(
      'the slow stream closed',
      async () => (await hub.stats()).slowConsumersClosed === 1,
    );

    expect(pulled).toBe(3_000);
    expect((await hub.stats()).slowConsumersClosed).toBe(1);
    expect(hub.subscriberCount(CHANNEL)).toBe(1);
    // What was queued is still there (more than the bound holds), then the reason, then the end.
    const text = await readText(slow);
    expect(count(text)).toBeGreaterThan(900);
    expect(count(text)).toBeLessThanOrEqual(3_000);
    const lastEvent = text.slice(text.lastIndexOf('event: '));
    expect(lastEvent).toMatch(/^event: error\ndata: \{"code":"slow_consumer",.*\}\n\n$/);
  });

  it('closes a reader that stops pulling after slowConsumerGraceMs, and cuts it after slowConsumerLingerMs, dropping its queue', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = new Hub({
      allowAnonymous: true,
      rateLimit: false,
      maxBufferedBytes: 64 * 1024,
      slowConsumerGraceMs: 2_500,
      slowConsumerLingerMs: 7_000,
    });
    cleanup.push(() => hub.close());
    const slow = await openFetchStream(hub, 'slow');
    await slow.read(); // the welcome
    await vi.waitFor(() => expect(hub.subscriberCount(CHANNEL)).toBe(1));
    for (let i = 0; i < 100; i++) await hub.publish(CHANNEL, 'm', { i, payload: PAYLOAD });
    // Over the bound (not 4 × over it): closed once the grace period passes with no pull.
    expect((await hub.stats()).slowConsumersClosed).toBe(0);
    await vi.advanceTimersByTimeAsync(2_499);
    expect((await hub.stats()).slowConsumersClosed).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await hub.stats()).slowConsumersClosed).toBe(1);

    // Within the linger its queue is still there to read; after it, the link is cut.
    await vi.advanceTimersByTimeAsync(6_999);
    expect(await slow.read()).toMatchObject({ done: false });
    await vi.advanceTimersByTimeAsync(1);
    await expect(slow.read()).rejects.toThrow(/slow consumer/);
  });

  it('closes at once a connection more than 4 × its bound behind', async () => {
    // A grace no test run outlasts: only the 4 × limit can close it here.
    const hub = new Hub({
      allowAnonymous: true,
      rateLimit: false,
      maxBufferedBytes: 16 * 1024,
      slowConsumerGraceMs: 60_000,
    });
    cleanup.push(() => hub.close());
    const slow = await openFetchStream(hub, 'slow');
    await slow.read(); // the welcome
    await waitUntil('subscribed', () => hub.subscriberCount(CHANNEL) === 1);
    // 200 × 1 KB: past 4 × 16 KiB with no time passing.
    for (let i = 0; i < 200; i++) await hub.publish(CHANNEL, 'm', { i, payload: PAYLOAD });
    expect((await hub.stats()).slowConsumersClosed).toBe(1);
  });
});

describe('slow consumers: bursts and the hard limit', () => {
  it('keeps readers that keep up through a burst written in one turn (3 MB, three times the bound)', async () => {
    // A generous grace, so a loaded machine draining the burst slowly does not fail the test;
    // closing as soon as a connection passes the bound would still cut both readers.
    const graceMs = 10_000;
    const server = await startHub({ slowConsumerGraceMs: graceMs });
    const sse = await openSse(server, 'sse-reader');
    const socket = io(server.url, {
      path: '/patchbay/socket.io',
      transports: ['websocket'],
      auth: { clientId: 'socket-reader' },
      reconnection: false,
      forceNew: true,
    });
    cleanup.push(() => socket.close());
    const viaSocket: number[] = [];
    socket.on('pb:message', (m: { data: { i: number } }) => viaSocket.push(m.data.i));
    await new Promise((resolve) => socket.once('pb:welcome', resolve));
    await socket.emitWithAck('pb', { op: 'subscribe', channel: CHANNEL });
    await waitUntil('both subscribed', () => server.hub.subscriberCount(CHANNEL) === 2);

    const burstAt = Date.now();
    await Promise.all(
      Array.from({ length: 3_000 }, (_, i) =>
        server.hub.publish(CHANNEL, 'm', { i, payload: PAYLOAD }),
      ),
    );
    await waitUntil(
      'both readers to get the burst',
      () => sse.messages.length === 3_000 && viaSocket.length === 3_000,
      graceMs,
    );
    // Past the grace the burst started: its timers have fired and found both backlogs drained.
    await sleep(burstAt + graceMs + 500 - Date.now());
    expect((await server.hub.stats()).slowConsumersClosed).toBe(0);
    expect(socket.connected).toBe(true);
    expect(sse.res.destroyed).toBe(false);
  }, 30_000);
});

describe('slow consumers: configuration', () => {
  it('refuses a maxBufferedBytes that is not a positive number, saying what it takes', () => {
    expect(() => new Hub({ allowAnonymous: true, maxBufferedBytes: 0 })).toThrow(
      /positive number of bytes/,
    );
    expect(
      new Hub({ allowAnonymous: true, maxBufferedBytes: Number.POSITIVE_INFINITY })
        .maxBufferedBytes,
    ).toBe(Number.POSITIVE_INFINITY);
    expect(new Hub({ allowAnonymous: true }).maxBufferedBytes).toBe(1024 * 1024);
  });

  it('takes slowConsumerGraceMs and slowConsumerLingerMs (defaults 1 000 and 5 000), refusing a negative or non-number one', () => {
    const defaults = new Hub({ allowAnonymous: true });
    expect(defaults.slowConsumerGraceMs).toBe(1_000);
    expect(defaults.slowConsumerLingerMs).toBe(5_000);
    const set = new Hub({
      allowAnonymous: true,
      slowConsumerGraceMs: 0,
      slowConsumerLingerMs: 250,
    });
    expect(set.slowConsumerGraceMs).toBe(0);
    expect(set.slowConsumerLingerMs).toBe(250);
    // Past setTimeout's limit a timer fires at once: clamped, so Infinity means "never".
    expect(
      new Hub({ allowAnonymous: true, slowConsumerGraceMs: Number.POSITIVE_INFINITY })
        .slowConsumerGraceMs,
    ).toBe(2_147_483_647);

    expect(() => new Hub({ allowAnonymous: true, slowConsumerGraceMs: -1 })).toThrow(
      /slowConsumerGraceMs must be a number of milliseconds ≥ 0 \(default 1000: .*\); got -1\./,
    );
    expect(() => new Hub({ allowAnonymous: true, slowConsumerLingerMs: Number.NaN })).toThrow(
      /slowConsumerLingerMs must be a number of milliseconds ≥ 0 \(default 5000: .*\); got NaN\./,
    );
    expect(
      () => new Hub({ allowAnonymous: true, slowConsumerLingerMs: '5000' as unknown as number }),
    ).toThrow(/slowConsumerLingerMs must be a number of milliseconds/);
  });
});
