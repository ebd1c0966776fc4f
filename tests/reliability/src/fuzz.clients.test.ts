import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ablyTransport } from '@patchbay/realtime-ably';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeError,
} from '@patchbay/realtime-core';
import {
  isPresenceFrame,
  isTransportMessage,
  type Transport,
} from '@patchbay/realtime-core/transport';
import { pusherTransport } from '@patchbay/realtime-pusher';
import { createPusherAuthHandler } from '@patchbay/realtime-pusher/server';
import { createHubServer } from '@patchbay/realtime-server';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { sseTransport } from '@patchbay/realtime-sse';
import { createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator } from '@patchbay/realtime-testkit/pusher';
import fc from 'fast-check';
import PusherServer from 'pusher';
import { describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import {
  FUZZ_SEED,
  hugeString,
  nonJsonText,
  notAString,
  samples,
  show,
  until,
  watchProcess,
} from './support/fuzzKit.js';

/**
 * Malformed inbound traffic from real servers over loopback into each Patchbay transport. The
 * client must not throw, must stay `connected`, and must still deliver the valid message sent
 * after every malformed one.
 */

interface Outcome {
  sent: number;
  delivered: number;
  lost: number;
  errors: RealtimeError[];
  discontinuities: number;
  problems: string[];
}

/**
 * Drive one client: for each malformed item, `inject` it, then `sendValid(i)` and wait for that
 * valid message on `room`. The connection must stay `connected` throughout.
 */
async function drive<T>(
  client: RealtimeClient,
  items: T[],
  inject: (item: T) => Promise<void>,
  sendValid: (index: number) => Promise<void>,
): Promise<Outcome> {
  const errors: RealtimeError[] = [];
  client.on('error', (error) => errors.push(error));
  const channel = client.channel('room');
  const received: unknown[] = [];
  channel.subscribe((message) => {
    if (message.event === 'valid') received.push((message.data as { i?: unknown } | null)?.i);
  });
  let discontinuities = 0;
  channel.on('discontinuity', () => discontinuities++);
  await channel.ready();
  const outcome: Outcome = {
    sent: 0,
    delivered: 0,
    lost: 0,
    errors,
    discontinuities: 0,
    problems: [],
  };
  let index = 0;
  for (const item of items) {
    outcome.sent++;
    try {
      await inject(item);
    } catch (error) {
      outcome.problems.push(`injecting ${show(item)} failed: ${String(error)}`);
      continue;
    }
    const i = index++;
    await sendValid(i);
    try {
      await until(
        () => received.includes(i),
        `valid message ${i} after ${show(item, 120)}`,
        10_000,
      );
      outcome.delivered++;
    } catch (error) {
      outcome.lost++;
      outcome.problems.push(String(error));
    }
    const { state } = client.connection.getSnapshot();
    if (state !== 'connected') {
      outcome.problems.push(`state ${state} after ${show(item)}`);
      await until(
        () => client.connection.getSnapshot().state === 'connected',
        'reconnection',
        20_000,
      ).catch(() => {});
    }
  }
  outcome.discontinuities = discontinuities;
  return outcome;
}

function newClient(transport: Transport, clientId: string, token = true): RealtimeClient {
  return createRealtime({
    transport,
    clientId,
    ...(token ? { auth: () => `${clientId}.token` } : {}),
    connectivity: noConnectivitySignals,
    reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
  });
}

/** Every dropped frame was reported once on the client's `error` event, saying what happened. */
function expectOneClearErrorEach(outcome: Outcome, malformed: number): void {
  expect(malformed).toBeGreaterThan(0);
  expect(outcome.errors).toHaveLength(malformed);
  for (const error of outcome.errors) {
    expect(error.code).toBe('invalid_frame');
    expect(error.message).toMatch(/malformed .* frame; it was dropped/);
  }
}

function report(scenario: string, provider: string, runs: number, seed: number, outcome: Outcome) {
  record({
    scenario,
    provider,
    sent: outcome.sent,
    received: outcome.delivered,
    lost: outcome.lost,
    duplicated: 0,
    note: `${runs} runs, seed ${seed}, ${outcome.errors.length} clear errors, ${outcome.discontinuities} discontinuities`,
  });
}

/** A value for a field of an inbound frame: right type sometimes, wrong type often. */
const field = fc.oneof(notAString, fc.string({ maxLength: 8 }), fc.constant(undefined));

describe('fuzz: clients', () => {
  it('socketio transport survives malformed pb:message / pb:presence / pb:error frames', async () => {
    const numRuns = 60;
    const seed = FUZZ_SEED + 30;
    console.log(`[fuzz: client socketio] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const server = await createHubServer({ port: 0, allowAnonymous: true, presenceGraceMs: 0 });
    const client = newClient(
      socketioTransport({ url: server.url, transports: ['websocket'] }),
      'sio',
    );
    try {
      await client.connect();
      const frameCase = fc.record({
        event: fc.constantFrom(
          'pb:message',
          'pb:message',
          'pb:presence',
          'pb:presence',
          'pb:error',
          'pb:welcome',
          'pb:nope',
        ),
        payload: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.record(
            {
              channel: fc.oneof(fc.constant('room'), field),
              id: field,
              event: field,
              data: fc.jsonValue({ maxDepth: 1 }),
              seq: fc.oneof(fc.integer(), notAString),
            },
            { requiredKeys: [] },
          ),
          fc.record(
            {
              channel: fc.oneof(fc.constant('room'), field),
              event: fc.oneof(
                field,
                fc.record(
                  {
                    type: fc.oneof(fc.constantFrom('sync', 'enter', 'update', 'leave'), field),
                    members: fc.oneof(
                      field,
                      fc.array(
                        fc.oneof(
                          fc.constant(null),
                          fc.record({ clientId: field, connectionId: field }),
                        ),
                        { maxLength: 2 },
                      ),
                    ),
                    member: fc.oneof(field, fc.record({ clientId: field, connectionId: field })),
                  },
                  { requiredKeys: [] },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
          fc.record({ code: field, message: field }),
        ),
      });
      const socketOf = () => {
        const { connectionId } = client.connection.getSnapshot();
        for (const socket of server.socketio.io.sockets.sockets.values()) {
          if ((socket.data.session as { id?: string } | undefined)?.id === connectionId)
            return socket;
        }
        throw new Error('no hub socket for the client');
      };
      const cases = samples(frameCase, numRuns, seed);
      // What arrives is the JSON socket.io sent: judge each frame as the transport will see it.
      const wire = (value: unknown): unknown => {
        const text = JSON.stringify(value);
        return text === undefined ? null : JSON.parse(text);
      };
      const malformed = cases.filter(
        ({ event, payload }) =>
          (event === 'pb:message' && !isTransportMessage(wire(payload))) ||
          (event === 'pb:presence' && !isPresenceFrame(wire(payload))),
      ).length;
      const outcome = await drive(
        client,
        cases,
        async ({ event, payload }) => {
          socketOf().emit(event, payload);
        },
        async (i) => {
          await server.hub.publish('room', 'valid', { i });
        },
      );
      report('fuzz: client socketio', 'socketio', numRuns, seed, outcome);
      expect(outcome.problems, outcome.problems.slice(0, 5).join('\n')).toEqual([]);
      expectOneClearErrorEach(outcome, malformed);
      expect(client.connection.getSnapshot().state).toBe('connected');
      expect(watch.errors.map(String)).toEqual([]);
    } finally {
      watch.stop();
      client.close();
      await server.hub.close();
      await server.close();
    }
  });

  it('sse transport survives malformed SSE events, giant lines and split chunks', async () => {
    const numRuns = 60;
    const seed = FUZZ_SEED + 31;
    console.log(`[fuzz: client sse] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    let stream: ServerResponse | undefined;
    const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/patchbay/sse/stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(
          `event: welcome\ndata: ${JSON.stringify({ clientId: 'sse', connectionId: 'fake-1', heartbeatMs: 15_000 })}\n\n`,
        );
        stream = res;
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, seq: 0 }));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const client = newClient(sseTransport({ url }), 'sse');
    const write = async (chunks: string[]) => {
      for (const chunk of chunks) {
        stream?.write(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    try {
      await client.connect();
      const eventName = fc.constantFrom(
        'message',
        'message',
        'presence',
        'presence',
        'error',
        'welcome',
        'nope',
        '',
      );
      const badData = fc.oneof(
        nonJsonText,
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc
          .record(
            {
              channel: fc.oneof(fc.constant('room'), field),
              id: field,
              event: field,
              data: fc.jsonValue({ maxDepth: 1 }),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
        fc
          .record({
            channel: fc.constant('room'),
            event: fc.oneof(
              field,
              fc.record(
                {
                  type: fc.oneof(fc.constantFrom('sync', 'enter', 'leave'), field),
                  members: fc.oneof(field, fc.constant([null])),
                  member: fc.oneof(field, fc.constant(null)),
                },
                { requiredKeys: [] },
              ),
            ),
          })
          .map((v) => JSON.stringify(v)),
        hugeString(100_000, 300_000),
      );
      const sseCase = fc.record({
        event: eventName,
        data: badData,
        splitAt: fc.array(fc.nat(), { maxLength: 4 }),
      });
      const cases = samples(sseCase, numRuns, seed);
      const parsed = (data: string): unknown => {
        try {
          return JSON.parse(data.replace(/[\r\n]/g, ' '));
        } catch {
          return undefined;
        }
      };
      const malformed = cases.filter(
        ({ event, data }) =>
          (event === 'message' && !isTransportMessage(parsed(data))) ||
          (event === 'presence' && !isPresenceFrame(parsed(data))),
      ).length;
      const outcome = await drive(
        client,
        cases,
        async ({ event, data, splitAt }) => {
          const text = `${event ? `event: ${event}\n` : ''}data: ${data.replace(/[\r\n]/g, ' ')}\n\n`;
          // Split the event across chunks at arbitrary points (partial lines).
          const cuts = [...new Set(splitAt.map((n) => n % text.length))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const cut of cuts) {
            chunks.push(text.slice(last, cut));
            last = cut;
          }
          chunks.push(text.slice(last));
          await write(chunks.filter(Boolean));
        },
        async (i) => {
          const valid = `event: message\ndata: ${JSON.stringify({ channel: 'room', id: `v-${i}`, event: 'valid', data: { i }, seq: i + 1 })}\n\n`;
          await write([valid.slice(0, 7), valid.slice(7)]);
        },
      );
      report('fuzz: client sse', 'sse', numRuns, seed, outcome);
      expect(outcome.problems, outcome.problems.slice(0, 5).join('\n')).toEqual([]);
      expectOneClearErrorEach(outcome, malformed);
      expect(client.connection.getSnapshot().state).toBe('connected');
      expect(watch.errors.map(String)).toEqual([]);
    } finally {
      watch.stop();
      client.close();
      stream?.end();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('pusher transport survives non-JSON and malformed event data from Pusher', async () => {
    const numRuns = 50;
    const seed = FUZZ_SEED + 32;
    console.log(`[fuzz: client pusher] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const APP = { appId: '4242', key: 'fuzz-key', secret: 'fuzz-secret' };
    const emulator = await createPusherEmulator({ ...APP, port: 0 });
    const pusher = new PusherServer(emulator.serverOptions());
    const auth = createPusherAuthHandler({
      pusher,
      authenticate: (token) => (token ? { userId: token.split('.')[0] as string } : null),
    });
    const app = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [key, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers.set(key, value);
      const response = await auth(
        new Request(`http://127.0.0.1${req.url ?? '/'}`, {
          method: req.method ?? 'POST',
          headers,
          body: Buffer.concat(chunks),
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const client = newClient(
      pusherTransport({
        key: APP.key,
        authEndpoint: `${appUrl}/pusher/auth`,
        pusherOptions: emulator.clientOptions(),
      }),
      'pusher-user',
    );
    try {
      await client.connect();
      const pusherCase = fc.record({
        name: fc.oneof(
          fc.constantFrom('client-patchbay', 'valid', 'patchbay:typing', 'x'),
          fc.string({ minLength: 1, maxLength: 20 }),
        ),
        data: fc.oneof(
          nonJsonText,
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc
            .record(
              {
                id: field,
                event: field,
                data: fc.jsonValue({ maxDepth: 1 }),
                timestamp: fc.oneof(fc.integer(), notAString),
                clientId: field,
              },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
          // Just under Pusher's 10 KB event limit.
          fc.integer({ min: 9_000, max: 10_000 }).map((n) => 'x'.repeat(n)),
        ),
      });
      const items = samples(pusherCase, numRuns, seed).filter(
        // A well-formed "valid" event is not malformed traffic; keep the others.
        (item) => item.name !== 'valid',
      );
      const outcome = await drive(
        client,
        items,
        async ({ name, data }) => {
          await pusher.trigger('private-room', name, data);
        },
        async (i) => {
          await pusher.trigger('private-room', 'valid', { i });
        },
      );
      report('fuzz: client pusher', 'pusher', numRuns, seed, outcome);
      expect(outcome.problems, outcome.problems.slice(0, 5).join('\n')).toEqual([]);
      expect(client.connection.getSnapshot().state).toBe('connected');
      expect(watch.errors.map(String)).toEqual([]);
    } finally {
      watch.stop();
      client.close();
      app.closeAllConnections();
      await new Promise<void>((resolve) => app.close(() => resolve()));
      await emulator.close();
    }
  });

  it('ably transport survives malformed MESSAGE data and encodings', async () => {
    const numRuns = 50;
    const seed = FUZZ_SEED + 33;
    console.log(`[fuzz: client ably] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const emulator = await createAblyEmulator({ maxIdleInterval: 0 });
    const client = newClient(
      ablyTransport({ clientOptions: emulator.clientOptions() }),
      'ably-user',
      false,
    );
    try {
      await client.connect();
      const ablyCase = fc.record({
        name: fc.oneof(fc.constantFrom('x', 'valid-ish', ''), fc.string({ maxLength: 10 })),
        data: fc.oneof(nonJsonText, fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })),
        encoding: fc.constantFrom(
          undefined,
          'json',
          'base64',
          'utf-8/base64',
          'json/base64',
          'utf-8/cipher+aes-128-cbc/base64',
          'nope',
          '',
        ),
        extras: fc.constantFrom(
          undefined,
          { headers: { 'x-patchbay-json': '1' } },
          { ephemeral: true },
          { headers: 5 },
        ),
      });
      const outcome = await drive(
        client,
        samples(ablyCase, numRuns, seed),
        async ({ name, data, encoding, extras }) => {
          emulator.publish('room', {
            name,
            data,
            ...(encoding !== undefined ? { encoding } : {}),
            ...(extras !== undefined ? { extras } : {}),
          } as { name: string; data?: unknown });
        },
        async (i) => {
          emulator.publish('room', { name: 'valid', data: { i } });
        },
      );
      // A message marked as Patchbay JSON whose data is not JSON: one clear error, then delivery goes on.
      const marked = await drive(
        client,
        [null],
        async () => {
          emulator.publish('room', {
            name: 'x',
            data: 'not json {',
            extras: { headers: { 'x-patchbay-json': '1' } },
          } as { name: string; data?: unknown });
        },
        async (i) => {
          emulator.publish('room', { name: 'valid', data: { i } });
        },
      );
      report('fuzz: client ably', 'ably', numRuns, seed, outcome);
      expect(outcome.problems, outcome.problems.slice(0, 5).join('\n')).toEqual([]);
      expect(marked.problems).toEqual([]);
      expect(marked.errors).toHaveLength(1);
      expect(marked.errors[0]).toMatchObject({ code: 'invalid_frame' });
      expect(marked.errors[0]?.message).toMatch(/Ably sent a malformed message frame/);
      expect(client.connection.getSnapshot().state).toBe('connected');
      expect(watch.errors.map(String)).toEqual([]);
    } finally {
      watch.stop();
      client.close();
      await emulator.close();
    }
  });
});
