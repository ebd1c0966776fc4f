import { createHubServer, type HubServer } from '@patchbay/realtime-server';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import {
  deepArray,
  deepObject,
  FUZZ_SEED,
  hugeString,
  KNOWN_CODES,
  nonJsonText,
  notANumber,
  notAString,
  samples,
  show,
  until,
  watchProcess,
} from './support/fuzzKit.js';

/**
 * Malformed requests into the hub, over Socket.IO (`pb` requests with and without an ack) and
 * over SSE (POST bodies, stream query strings). Every request due an answer gets a clear error
 * with a known code; afterwards the same connection still subscribes, publishes and receives.
 */

const MAX_MESSAGE_BYTES = 4_096;
const OPS = ['subscribe', 'unsubscribe', 'publish', 'presence', 'history'] as const;
const VALID_OPS = new Set<string>(OPS);

interface WireError {
  code: string;
  message: string;
}

/** A `pb` frame the hub must refuse: every branch is invalid by construction. */
const malformedFrame: fc.Arbitrary<unknown> = fc.oneof(
  // Any JSON that is not an object with a known op.
  fc
    .jsonValue({ maxDepth: 3 })
    .filter(
      (v) =>
        !(
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          VALID_OPS.has((v as { op?: unknown }).op as string)
        ),
    ),
  // Unknown or mistyped ops.
  fc.record({
    op: fc.oneof(
      fc.string({ maxLength: 12 }).filter((s) => !VALID_OPS.has(s)),
      notAString,
    ),
  }),
  // Known ops, channel of the wrong type, missing, or not portable.
  fc.record({
    op: fc.constantFrom(...OPS),
    channel: fc.oneof(
      notAString,
      fc.constantFrom('', 'has space', 'ü', 'a/b', '#x'),
      hugeString(165, 2_000),
    ),
  }),
  fc.record({ op: fc.constantFrom(...OPS) }),
  // Publish with missing or mistyped fields.
  fc.record(
    {
      op: fc.constant('publish'),
      channel: fc.constant('room'),
      id: fc.oneof(notAString, fc.constant(''), hugeString(201, 1_000)),
      event: fc.oneof(notAString, fc.constant(''), hugeString(201, 1_000)),
      data: fc.jsonValue({ maxDepth: 2 }),
      ephemeral: notAString,
    },
    { requiredKeys: ['op', 'channel', 'id'] },
  ),
  // Oversized: more than maxMessageBytes of data.
  fc.record({
    op: fc.constant('publish'),
    channel: fc.constant('room'),
    id: fc.uuid(),
    event: fc.constant('big'),
    data: hugeString(MAX_MESSAGE_BYTES + 1, MAX_MESSAGE_BYTES * 3),
  }),
  fc.record({
    op: fc.constant('presence'),
    channel: fc.constant('room'),
    action: fc.constantFrom('enter', 'update'),
    data: hugeString(MAX_MESSAGE_BYTES + 1, MAX_MESSAGE_BYTES * 3),
  }),
  // Deeply nested data, beyond what the hub accepts.
  fc.record({
    op: fc.constantFrom('publish', 'presence'),
    channel: fc.constant('room'),
    id: fc.uuid(),
    event: fc.constant('deep'),
    action: fc.constant('enter'),
    data: fc
      .integer({ min: 1_100, max: 3_000 })
      .chain((depth) => fc.constantFrom(deepArray(depth), deepObject(depth))),
  }),
  // Wrong enum / numbers.
  fc.record({
    op: fc.constant('presence'),
    channel: fc.constant('room'),
    action: fc.oneof(
      fc.string({ maxLength: 8 }).filter((s) => !['enter', 'update', 'leave'].includes(s)),
      notAString,
    ),
  }),
  fc.record({
    op: fc.constant('history'),
    channel: fc.constant('room'),
    limit: fc.oneof(notANumber, fc.integer({ min: 1_001 })),
  }),
  fc.record({ op: fc.constant('subscribe'), channel: fc.constant('room'), resumeFrom: notANumber }),
  // Unknown extra keys (frames are strict).
  fc.record({
    op: fc.constant('unsubscribe'),
    channel: fc.constant('room'),
    extra: fc.jsonValue({ maxDepth: 1 }),
  }),
  // Binary instead of JSON.
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

/** How one case is sent over Socket.IO. */
const socketCase = fc.record({
  frame: malformedFrame,
  mode: fc.constantFrom('ack', 'ack', 'no-ack', 'extra-args', 'unknown-event'),
  unknownEvent: fc.constantFrom(
    'publish',
    'pb:message',
    'subscribe',
    'PB',
    'hello',
    'pb ',
    'message',
  ),
});

describe('fuzz: hub', () => {
  let server: HubServer;

  beforeAll(async () => {
    server = await createHubServer({
      port: 0,
      allowAnonymous: true,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      presenceGraceMs: 0,
    });
  });

  afterAll(async () => {
    await server?.hub.close();
    await server?.close();
  });

  it('answers malformed Socket.IO requests with clear errors and keeps the socket usable', async () => {
    const numRuns = 150;
    const seed = FUZZ_SEED;
    console.log(`[fuzz: hub socket.io] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const socket: Socket = io(server.url, {
      path: '/patchbay/socket.io',
      transports: ['websocket'],
      auth: { clientId: 'fuzzer' },
      reconnection: false,
      forceNew: true,
    });
    const pushedErrors: WireError[] = [];
    const delivered: Array<{ event: string; data: unknown }> = [];
    socket.on('pb:error', (error: WireError) => pushedErrors.push(error));
    socket.on('pb:message', (message: { event: string; data: unknown }) => delivered.push(message));
    await new Promise<void>((resolve, reject) => {
      socket.once('pb:welcome', () => resolve());
      socket.once('connect_error', reject);
    });

    let sent = 0;
    let replies = 0;
    let pushed = 0;
    let lost = 0;
    let clear = 0;
    const problems: string[] = [];
    const isClear = (error: WireError | undefined): boolean =>
      !!error &&
      KNOWN_CODES.has(error.code) &&
      typeof error.message === 'string' &&
      error.message.trim().length > 0;

    try {
      for (const item of samples(socketCase, numRuns, seed)) {
        sent++;
        const before = pushedErrors.length;
        if (item.mode === 'ack') {
          const reply = await socket
            .timeout(10_000)
            .emitWithAck('pb', item.frame)
            .catch(() => undefined);
          if (reply === undefined) {
            lost++;
            problems.push(`no ack for ${show(item.frame)}`);
            continue;
          }
          replies++;
          if (reply.ok !== false || !isClear(reply.error)) {
            problems.push(`unclear reply ${show(reply)} to ${show(item.frame)}`);
          } else clear++;
          continue;
        }
        if (item.mode === 'no-ack') socket.emit('pb', item.frame);
        else if (item.mode === 'extra-args') socket.emit('pb', item.frame, 'not a callback', 42);
        else socket.emit(item.unknownEvent, item.frame);
        try {
          await until(() => pushedErrors.length > before, 'a pb:error', 10_000);
        } catch {
          lost++;
          problems.push(`no pb:error for ${item.mode} ${show(item.frame)}`);
          continue;
        }
        pushed++;
        if (isClear(pushedErrors[before])) clear++;
        else
          problems.push(`unclear pb:error ${show(pushedErrors[before])} for ${show(item.frame)}`);
      }

      // The same socket still works end to end.
      const subscribed = await socket
        .timeout(10_000)
        .emitWithAck('pb', { op: 'subscribe', channel: 'room' });
      const published = await socket.timeout(10_000).emitWithAck('pb', {
        op: 'publish',
        channel: 'room',
        id: 'after-storm',
        event: 'after',
        data: { ok: 1 },
      });
      await until(
        () => delivered.some((m) => m.event === 'after'),
        'the message published after the storm',
      );
      const health = (await (await fetch(`${server.url}/health`)).json()) as { ok: boolean };

      record({
        scenario: 'fuzz: hub socket.io',
        provider: 'socketio',
        sent,
        received: replies + pushed,
        lost,
        duplicated: 0,
        note: `${numRuns} runs, seed ${seed}, ${clear} clear errors`,
      });
      expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
      expect(subscribed).toMatchObject({ ok: true });
      expect(published).toMatchObject({ ok: true });
      expect(health.ok).toBe(true);
      expect(socket.connected).toBe(true);
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
      socket.disconnect();
    }
  });

  it('answers malformed SSE requests with 4xx JSON errors and keeps the stream delivering', async () => {
    const numRuns = 120;
    const seed = FUZZ_SEED + 1;
    console.log(`[fuzz: hub sse] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const base = `${server.url}/patchbay/sse`;
    const abort = new AbortController();
    const stream = await fetch(`${base}/stream?clientId=sse-fuzzer`, {
      headers: { accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    const events: Array<{ event: string; data: string }> = [];
    void readSse(stream, events);
    await until(() => events.some((e) => e.event === 'welcome'), 'the welcome event');
    const welcome = JSON.parse(events.find((e) => e.event === 'welcome')?.data ?? '{}') as {
      connectionId: string;
    };
    const post = (op: string, body: BodyInit, contentType: string | undefined) =>
      fetch(`${base}/${op}`, {
        method: 'POST',
        headers: {
          'x-patchbay-connection': welcome.connectionId,
          ...(contentType ? { 'content-type': contentType } : {}),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });

    const bodyCase = fc.oneof(
      fc
        .tuple(nonJsonText, fc.constantFrom<string>(...OPS, 'close'))
        .map(([body, op]) => ({ op, body })),
      malformedFrame
        .filter((frame) => !Buffer.isBuffer(frame))
        .map((frame) => {
          // The path names the op; a body's own op is replaced by it, so keep an invalid body.
          const { op: _op, ...rest } =
            typeof frame === 'object' && frame !== null && !Array.isArray(frame)
              ? (frame as Record<string, unknown>)
              : { op: undefined };
          const op = typeof _op === 'string' && VALID_OPS.has(_op) ? _op : 'publish';
          const body =
            typeof frame === 'object' && frame !== null && !Array.isArray(frame) ? rest : frame;
          return { op, body: JSON.stringify(body) ?? 'null' };
        }),
      fc
        .constantFrom('null', '[]', '[1,2]', '"room"', '42', 'true')
        .map((body) => ({ op: 'publish', body })),
      hugeString(MAX_MESSAGE_BYTES * 4 + 64 * 1_024 + 1, MAX_MESSAGE_BYTES * 4 + 80 * 1_024).map(
        (text) => ({
          op: 'publish',
          body: JSON.stringify({ channel: 'room', id: 'giant', event: 'giant', data: text }),
        }),
      ),
      fc
        .constantFrom('nope', 'stream/x', 'publish/extra', '', 'PUBLISH')
        .map((op) => ({ op, body: '{}' })),
    );
    const sseCase = fc.record({
      body: bodyCase,
      contentType: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        undefined,
        'image/png',
      ),
    });

    let sent = 0;
    let answered = 0;
    let lost = 0;
    let clear = 0;
    const problems: string[] = [];
    try {
      for (const item of samples(sseCase, numRuns, seed)) {
        sent++;
        const response = await post(item.body.op, item.body.body, item.contentType).catch(
          () => undefined,
        );
        if (!response) {
          lost++;
          problems.push(`no response to ${item.body.op} ${show(item.body.body)}`);
          continue;
        }
        answered++;
        const reply = (await withTimeout(response.json(), 10_000).catch(() => undefined)) as
          | { ok?: boolean; error?: WireError; results?: Array<{ ok: boolean; error?: WireError }> }
          | undefined;
        // A batch (`{ messages: [...] }`) answers 200 with one refusal per message.
        const batch = response.status === 200 && Array.isArray(reply?.results);
        const errors = batch ? (reply?.results ?? []).map((r) => r.error) : [reply?.error];
        const ok =
          (batch
            ? (reply?.results ?? []).every((r) => r.ok === false)
            : response.status >= 400 && response.status < 500) &&
          reply?.ok !== undefined &&
          errors.every(
            (e) =>
              !!e &&
              KNOWN_CODES.has(e.code) &&
              typeof e.message === 'string' &&
              e.message.length > 0,
          );
        if (ok) clear++;
        else
          problems.push(
            `${item.body.op} ${show(item.body.body)} (${item.contentType}) → ${response.status} ${show(reply)}`,
          );
      }

      // Malformed stream query strings: a 4xx JSON error, or a stream that reports each bad
      // channel as an `error` event and otherwise works (an unreadable Last-Event-ID resumes nothing).
      const queries = [
        'channels=has%20space,ok',
        'channels=%FF%FE',
        `channels=${'x'.repeat(300)}`,
        'channels=,,,',
        'lastEventId=%%%',
        'lastEventId=bm90IGpzb24',
        `lastEventId=${Buffer.from('{"room":-1,"x":"y"}').toString('base64url')}`,
        'echo=maybe&clientId=',
        `clientId=${'c'.repeat(5_000)}`,
        'token=&channels=a;b',
      ];
      for (const query of queries) {
        sent++;
        const probe = new AbortController();
        const response = await fetch(`${base}/stream?${query}`, { signal: probe.signal }).catch(
          () => undefined,
        );
        if (!response) {
          lost++;
          problems.push(`no response to stream?${query}`);
          continue;
        }
        answered++;
        if (response.status >= 400 && response.status < 500) {
          const body = (await response.json().catch(() => undefined)) as
            | { error?: WireError }
            | undefined;
          if (body?.error && KNOWN_CODES.has(body.error.code)) clear++;
          else problems.push(`stream?${query} → ${response.status} without a JSON error`);
          continue;
        }
        const seen: Array<{ event: string; data: string }> = [];
        void readSse(response, seen);
        const badChannels = (new URLSearchParams(query).get('channels') ?? '')
          .split(',')
          .filter(Boolean)
          .filter((c) => !/^[A-Za-z0-9_\-=@,.;]{1,164}$/.test(c));
        try {
          await until(
            () =>
              seen.some((e) => e.event === 'welcome') &&
              seen.filter((e) => e.event === 'error').length >= badChannels.length,
            `stream?${query} to welcome and report ${badChannels.length} bad channels`,
            10_000,
          );
          const errors = seen
            .filter((e) => e.event === 'error')
            .map((e) => JSON.parse(e.data) as WireError & { channel?: string });
          if (errors.every((e) => KNOWN_CODES.has(e.code) && e.message.length > 0)) clear++;
          else problems.push(`stream?${query} sent unclear errors ${show(errors)}`);
        } catch (error) {
          problems.push(String(error));
        } finally {
          probe.abort();
        }
      }

      // The original stream still delivers on the same session.
      const subscribe = await post(
        'subscribe',
        JSON.stringify({ channel: 'room' }),
        'application/json',
      );
      const publish = await post(
        'publish',
        JSON.stringify({ channel: 'room', id: 'sse-after', event: 'after', data: 1 }),
        'application/json',
      );
      await until(
        () => events.some((e) => e.event === 'message' && e.data.includes('"sse-after"')),
        'the message published after the storm on the open stream',
      );
      const health = (await (await fetch(`${server.url}/health`)).json()) as { ok: boolean };

      record({
        scenario: 'fuzz: hub sse',
        provider: 'sse',
        sent,
        received: answered,
        lost,
        duplicated: 0,
        note: `${numRuns} runs + ${queries.length} queries, seed ${seed}, ${clear} clear errors`,
      });
      expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
      expect(subscribe.status).toBe(200);
      expect(publish.status).toBe(200);
      expect(health.ok).toBe(true);
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
      abort.abort();
    }
  });
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms),
    ),
  ]);
}

/** Parse an SSE response body into `events` until it ends. */
async function readSse(
  response: Response,
  events: Array<{ event: string; data: string }>,
): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0) events.push({ event, data: data.join('\n') });
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    // Aborted by the test.
  }
}
