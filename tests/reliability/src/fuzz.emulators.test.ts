import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import fc from 'fast-check';
import PusherServer from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from './summary/record.js';
import {
  FUZZ_SEED,
  hugeString,
  nonJsonText,
  notANumber,
  notAString,
  samples,
  show,
  until,
  watchProcess,
} from './support/fuzzKit.js';

/**
 * Malformed frames and HTTP requests into the Pusher and Ably emulators over loopback. Each
 * answer due arrives (pusher:error / Ably ERROR or NACK, or a 4xx with a readable body), the
 * emulator never crashes or answers 5xx, and the same connection still subscribes and receives.
 */

const APP = { appId: '777', key: 'fuzz-key', secret: 'fuzz-secret' };

/** The slice of the `ws` client used here (the package ships no type declarations). */
interface WsClient {
  on(event: 'message', listener: (raw: Buffer) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  once(event: 'open', listener: () => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  send(data: string | Buffer): void;
  terminate(): void;
}
const { WebSocket } = createRequire(import.meta.url)('ws') as {
  WebSocket: new (url: string) => WsClient;
};

/** A raw WebSocket that keeps every frame it receives, parsed. */
class RawSocket {
  readonly frames: Array<Record<string, unknown>> = [];
  closed: { code: number; reason: string } | undefined;
  readonly ws: WsClient;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (raw) => {
      try {
        this.frames.push(JSON.parse(String(raw)) as Record<string, unknown>);
      } catch {
        this.frames.push({ unparsable: String(raw) });
      }
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
    this.ws.on('error', () => {});
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  send(data: string | Buffer): void {
    this.ws.send(data);
  }
  close(): void {
    this.ws.terminate();
  }
}

// Pusher ----------------------------------------------------------------------------------------

/** A Pusher frame and whether Pusher owes an answer (`pusher:error`) to it. */
interface PusherCase {
  frame: string | Buffer;
  answered: boolean;
}

function pusherCases(): fc.Arbitrary<PusherCase> {
  const json = (value: unknown, answered: boolean) => ({ frame: JSON.stringify(value), answered });
  return fc.oneof(
    nonJsonText.map((frame) => ({ frame, answered: true })),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => ({
      frame: Buffer.concat([Buffer.from([0x80 | ((bytes[0] ?? 0) % 16)]), Buffer.from(bytes)]),
      answered: true,
    })),
    // JSON that is not an object with a string event.
    fc
      .jsonValue({ maxDepth: 2 })
      .filter(
        (v) =>
          typeof v !== 'object' ||
          v === null ||
          Array.isArray(v) ||
          typeof (v as { event?: unknown }).event !== 'string',
      )
      .map((v) => json(v, true)),
    fc.record({ event: notAString, data: fc.jsonValue({ maxDepth: 1 }) }).map((v) => json(v, true)),
    // Subscribe with a missing, mistyped or oversized channel, or data that is not JSON.
    fc
      .oneof(
        fc.record({ channel: notAString }),
        fc.record({ channel: fc.constant('') }),
        fc.record({ channel: hugeString(201, 3_000) }),
        fc.constant({}),
      )
      .map((data) => json({ event: 'pusher:subscribe', data }, true)),
    nonJsonText.map((data) => json({ event: 'pusher:subscribe', data }, true)),
    // A private channel without a valid signature (Pusher: pusher:error, code null).
    fc
      .record({ auth: fc.oneof(fc.string({ maxLength: 40 }), notAString) })
      .map(({ auth }) =>
        json({ event: 'pusher:subscribe', data: { channel: 'private-fuzz-x', auth } }, true),
      ),
    // Client events: on a public channel, unsubscribed, too large, or too deeply nested.
    fc
      .record({
        channel: fc.constantFrom(
          'public-room',
          'presence-nope',
          'private-encrypted-x',
          'private-other',
        ),
        data: fc.jsonValue({ maxDepth: 1 }),
      })
      .map(({ channel, data }) => json({ event: 'client-fuzz', channel, data }, true)),
    fc.record({ event: fc.constant('client-fuzz'), data: notAString }).map((v) => json(v, true)),
    hugeString(10 * 1_024 + 1, 30_000).map((data) =>
      json({ event: 'client-big', channel: 'private-fuzz', data }, true),
    ),
    fc.integer({ min: 5_500, max: 9_000 }).map((depth) => ({
      frame: `{"event":"client-deep","channel":"private-fuzz","data":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      answered: true,
    })),
    // Unknown events: Pusher ignores them.
    fc
      .record({
        event: fc
          .oneof(
            fc.constantFrom('pusher:nope', 'pusher_internal:member_added', 'hello', ''),
            fc.string({ maxLength: 20 }),
          )
          .filter(
            (e) =>
              !e.startsWith('client-') &&
              ![
                'pusher:subscribe',
                'pusher:signin',
                'pusher:ping',
                'pusher:unsubscribe',
                'pusher:pong',
              ].includes(e),
          ),
        data: fc.oneof(nonJsonText, fc.jsonValue({ maxDepth: 2 })),
      })
      .map((v) => json(v, false)),
    fc
      .record({
        event: fc.constant('pusher:unsubscribe'),
        data: fc.oneof(nonJsonText, notAString, fc.record({ channel: notAString })),
      })
      .map((v) => json(v, false)),
    // A signin that does not verify: Pusher answers 4009 and closes (checked on its own socket).
    fc.constant({
      frame: JSON.stringify({ event: 'pusher:signin', data: { auth: 'x', user_data: '{}' } }),
      answered: true,
    }),
  );
}

function pusherSignedQuery(
  method: string,
  path: string,
  body: string,
  extra: Record<string, string> = {},
) {
  const params: Record<string, string> = {
    auth_key: APP.key,
    auth_timestamp: String(Math.floor(Date.now() / 1_000)),
    auth_version: '1.0',
    ...(body ? { body_md5: createHash('md5').update(body).digest('hex') } : {}),
    ...extra,
  };
  const sorted = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', APP.secret)
    .update(`${method}\n${path}\n${sorted}`)
    .digest('hex');
  return `${sorted}&auth_signature=${signature}`;
}

// Ably ------------------------------------------------------------------------------------------

interface AblyCase {
  frame: string | Buffer;
  /** `error`: ERROR (9) or NACK (2) with code 40000 is due; `none`: ignored (unknown action). */
  answer: 'error' | 'none';
}

const CHANNEL_ACTIONS = [10, 12, 14, 15, 16];

function ablyCases(): fc.Arbitrary<AblyCase> {
  const bad = (value: unknown): AblyCase => ({ frame: JSON.stringify(value), answer: 'error' });
  return fc.oneof(
    nonJsonText.map((frame): AblyCase => ({ frame, answer: 'error' })),
    // msgpack-looking binary: a fixmap / map16 header and bytes.
    fc.uint8Array({ minLength: 1, maxLength: 60 }).map(
      (bytes): AblyCase => ({
        frame: Buffer.concat([Buffer.from([0x80 | 3, 0xa6]), Buffer.from(bytes)]),
        answer: 'error',
      }),
    ),
    fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map(bad),
    fc.record({ action: notANumber }).map(bad),
    fc
      .record({
        action: fc.constantFrom(...CHANNEL_ACTIONS),
        channel: fc.oneof(notAString, fc.constant('')),
      })
      .map(bad),
    fc.record({ action: fc.constantFrom(...CHANNEL_ACTIONS) }).map(bad),
    fc
      .record({
        action: fc.constant(15),
        channel: fc.constant('fuzz'),
        msgSerial: fc.constant(0),
        messages: fc.oneof(
          notAString.filter((v) => !Array.isArray(v)),
          fc.array(
            fc.oneof(
              fc.constant(null),
              fc.integer(),
              fc.string(),
              fc.record({ name: notAString }),
              fc.record({ extras: fc.oneof(fc.integer(), fc.string()) }),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        ),
      })
      .map(bad),
    fc
      .record({
        action: fc.constant(14),
        channel: fc.constant('fuzz'),
        msgSerial: fc.constant(0),
        presence: fc.oneof(
          notAString.filter((v) => !Array.isArray(v)),
          fc.array(fc.oneof(fc.constant(null), fc.record({ action: notANumber })), {
            minLength: 1,
            maxLength: 3,
          }),
        ),
      })
      .map(bad),
    fc
      .record({
        action: fc.constantFrom(15, 14),
        channel: fc.constant('fuzz'),
        msgSerial: notANumber,
        messages: fc.constant([]),
      })
      .map(bad),
    fc
      .record({
        action: fc.constant(10),
        channel: fc.constant('fuzz'),
        channelSerial: notAString.filter((v) => v !== null),
        flags: fc.oneof(notANumber, fc.constant(1)),
      })
      .map(bad),
    fc
      .record({
        action: fc.constant(17),
        auth: fc.oneof(fc.integer(), fc.string(), fc.record({ accessToken: fc.integer() })),
      })
      .map(bad),
    fc
      .record({
        action: fc.constant(0),
        id: fc.oneof(fc.integer(), fc.boolean(), fc.record({ a: fc.integer() })),
      })
      .map(bad),
    // Unknown actions: ignored, as by Ably.
    fc
      .record({
        action: fc.oneof(fc.constantFrom(3, 18, 19, 20, 21), fc.integer({ min: 22, max: 10_000 })),
        channel: fc.constant('fuzz'),
      })
      .map((v): AblyCase => ({ frame: JSON.stringify(v), answer: 'none' })),
  );
}

describe('fuzz: emulators', () => {
  let pusher: PusherEmulator;
  let ably: AblyEmulator;

  beforeAll(async () => {
    pusher = await createPusherEmulator({ ...APP, port: 0 });
    ably = await createAblyEmulator({ maxIdleInterval: 0 });
  });

  afterAll(async () => {
    await pusher?.close();
    await ably?.close();
  });

  it('Pusher emulator: malformed frames get pusher:error, the socket still subscribes and receives', async () => {
    const numRuns = 150;
    const seed = FUZZ_SEED + 10;
    console.log(`[fuzz: pusher emulator ws] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const url = `ws://127.0.0.1:${pusher.port}/app/${APP.key}?protocol=7&client=js&version=8.6.0&flash=false`;
    const socket = new RawSocket(url);
    await socket.opened();
    await until(() => socket.frames.length > 0, 'connection_established');
    const established = socket.frames[0] as { event: string; data: string };
    expect(established.event).toBe('pusher:connection_established');
    const socketId = (JSON.parse(established.data) as { socket_id: string }).socket_id;
    const privateAuth = (channel: string) =>
      `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}:${channel}`).digest('hex')}`;
    // Subscribed to a private channel, so client events reach the size and depth checks.
    socket.send(
      JSON.stringify({
        event: 'pusher:subscribe',
        data: { channel: 'private-fuzz', auth: privateAuth('private-fuzz') },
      }),
    );
    await until(
      () => socket.frames.some((f) => f.event === 'pusher_internal:subscription_succeeded'),
      'the private subscription',
    );

    let sent = 0;
    let received = 0;
    let lost = 0;
    let clear = 0;
    let pings = 0;
    const problems: string[] = [];
    const signins: PusherCase[] = [];
    try {
      for (const item of samples(pusherCases(), numRuns, seed)) {
        if (String(item.frame).includes('"pusher:signin"')) {
          signins.push(item);
          continue;
        }
        sent++;
        const before = socket.frames.length;
        socket.send(item.frame);
        // A ping after every frame: its pong proves the socket is still served, in order.
        socket.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
        pings++;
        try {
          await until(
            () => socket.frames.slice(before).some((f) => f.event === 'pusher:pong'),
            'pusher:pong',
            10_000,
          );
        } catch {
          lost++;
          problems.push(`no pong after ${show(item.frame)} (closed: ${show(socket.closed)})`);
          break;
        }
        const answers = socket.frames.slice(before).filter((f) => f.event !== 'pusher:pong');
        received += answers.length;
        const errors = answers.filter((f) => f.event === 'pusher:error');
        if (item.answered) {
          const data = errors[0]
            ? (JSON.parse(String(errors[0].data)) as { code: unknown; message: unknown })
            : undefined;
          if (!data) {
            lost++;
            problems.push(`no pusher:error for ${show(item.frame)}`);
          } else if (
            (data.code === null || typeof data.code === 'number') &&
            typeof data.message === 'string' &&
            data.message.length > 0
          )
            clear++;
          else problems.push(`unclear pusher:error ${show(data)} for ${show(item.frame)}`);
        } else if (errors.length > 0) {
          problems.push(`unexpected ${show(errors)} for ${show(item.frame)}`);
        }
      }

      // The same socket still subscribes and receives a trigger from the HTTP API.
      socket.send(
        JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'public-after', auth: '' } }),
      );
      await until(
        () =>
          socket.frames.some(
            (f) =>
              f.event === 'pusher_internal:subscription_succeeded' && f.channel === 'public-after',
          ),
        'the subscription after the storm',
      );
      await new PusherServer(pusher.serverOptions()).trigger('public-after', 'after', { ok: 1 });
      await until(
        () => socket.frames.some((f) => f.event === 'after'),
        'the event triggered after the storm',
      );

      // A bad signin: Pusher's answer is pusher:error 4009 and a 4009 close (its own socket).
      for (const item of signins.slice(0, 3)) {
        sent++;
        const victim = new RawSocket(url);
        await victim.opened();
        await until(() => victim.frames.length > 0, 'connection_established');
        victim.send(item.frame);
        try {
          await until(() => victim.closed !== undefined, 'the 4009 close', 10_000);
          const error = victim.frames.find((f) => f.event === 'pusher:error');
          received += error ? 1 : 0;
          if (victim.closed?.code === 4009 && error) clear++;
          else problems.push(`signin: close ${show(victim.closed)}, error ${show(error)}`);
        } catch (error) {
          lost++;
          problems.push(String(error));
        } finally {
          victim.close();
        }
      }

      record({
        scenario: 'fuzz: pusher emulator ws',
        provider: 'pusher',
        sent,
        received,
        lost,
        duplicated: 0,
        note: `${numRuns} runs, seed ${seed}, ${clear} clear errors, ${pings} pings answered`,
      });
      expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
      expect(socket.closed).toBeUndefined();
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
      socket.close();
    }
  });

  it('Pusher emulator: malformed HTTP API requests get 4xx with a reason, never 5xx', async () => {
    const numRuns = 80;
    const seed = FUZZ_SEED + 11;
    console.log(`[fuzz: pusher emulator http] seed=${seed} numRuns=${numRuns}`);
    const eventsPath = `/apps/${APP.appId}/events`;
    const httpCase = fc.oneof(
      // Signed correctly, body not what the API takes.
      fc
        .oneof(
          nonJsonText,
          // Any JSON but an object with a string name and string data, which can be a valid event.
          fc
            .jsonValue({ maxDepth: 2 })
            .filter((v) => !couldBeAnEvent(v))
            .map((v) => JSON.stringify(v)),
          fc
            .record({ name: notAString, data: fc.constant('x'), channels: fc.constant(['a']) })
            .map((v) => JSON.stringify(v)),
          fc
            .record({ name: fc.constant('e'), data: notAString, channels: fc.constant(['a']) })
            .map((v) => JSON.stringify(v)),
          fc
            .record({
              name: fc.constant('e'),
              data: fc.constant('x'),
              channels: fc.oneof(
                notAString,
                fc.array(notAString, { minLength: 1, maxLength: 3 }),
                fc.constant([]),
                fc.constant(['has space']),
              ),
            })
            // `notAString` includes string arrays, and ["0"] is a valid channel list.
            .filter(({ channels }) => !isChannelList(channels))
            .map((v) => JSON.stringify(v)),
          hugeString(10 * 1_024 + 1, 20_000).map((data) =>
            JSON.stringify({ name: 'e', data, channels: ['a'] }),
          ),
        )
        .map((body) => ({ path: eventsPath, body, sign: 'ok' as const })),
      fc
        .oneof(
          nonJsonText,
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc.constant('{"batch":[]}'),
          fc.constant('{"batch":[null]}'),
        )
        .filter((body) => !/"batch":\[\{/.test(body))
        .map((body) => ({ path: `/apps/${APP.appId}/batch_events`, body, sign: 'ok' as const })),
      // Bad or missing signatures, wrong key, stale timestamp, wrong body_md5, unknown app.
      fc
        .record({
          path: fc.constantFrom(
            eventsPath,
            `/apps/999/events`,
            '/nope',
            `/apps/${APP.appId}/channels/%E0%A4%A`,
          ),
          sign: fc.constantFrom('bad-signature', 'no-auth', 'stale', 'bad-md5', 'wrong-key'),
        })
        .map(({ path, sign }) => ({
          path,
          body: JSON.stringify({ name: 'e', data: 'x', channels: ['a'] }),
          sign,
        })),
    );

    let sent = 0;
    let received = 0;
    let lost = 0;
    let clear = 0;
    const problems: string[] = [];
    for (const item of samples(httpCase, numRuns, seed)) {
      sent++;
      let query: string;
      const path = item.path.split('?')[0] as string;
      if (item.sign === 'ok') query = pusherSignedQuery('POST', path, item.body);
      else if (item.sign === 'no-auth') query = '';
      else if (item.sign === 'bad-signature')
        query = `${pusherSignedQuery('POST', path, item.body).replace(/auth_signature=.*/, 'auth_signature=deadbeef')}`;
      else if (item.sign === 'stale')
        query = pusherSignedQuery('POST', path, item.body, { auth_timestamp: '1000' });
      else if (item.sign === 'bad-md5')
        query = pusherSignedQuery('POST', path, `${item.body} `).replace(
          /body_md5=[^&]*/,
          'body_md5=00',
        );
      else
        query = pusherSignedQuery('POST', path, item.body).replace(
          `auth_key=${APP.key}`,
          'auth_key=other',
        );
      const response = await fetch(`${pusher.url}${item.path}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: item.body,
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (!response) {
        lost++;
        problems.push(`no response: ${item.sign} ${item.path} ${show(item.body)}`);
        continue;
      }
      received++;
      const text = await response.text();
      if (response.status >= 400 && response.status < 500 && text.trim().length > 0) clear++;
      else
        problems.push(
          `${item.sign} ${item.path} ${show(item.body)} → ${response.status} ${show(text)}`,
        );
    }
    // Still serving: a well-formed trigger is accepted.
    const ok = await new PusherServer(pusher.serverOptions()).trigger('public-x', 'e', 'x');
    record({
      scenario: 'fuzz: pusher emulator http',
      provider: 'pusher',
      sent,
      received,
      lost,
      duplicated: 0,
      note: `${numRuns} runs, seed ${seed}, ${clear} clear errors`,
    });
    expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
    expect(ok.status).toBe(200);
  });

  it('Ably emulator: malformed protocol messages get ERROR/NACK 40000, the connection still works', async () => {
    const numRuns = 150;
    const seed = FUZZ_SEED + 20;
    console.log(`[fuzz: ably emulator ws] seed=${seed} numRuns=${numRuns}`);
    const watch = watchProcess();
    const socket = new RawSocket(
      `ws://127.0.0.1:${ably.port}/?key=${encodeURIComponent(ably.apiKey)}&clientId=fuzzer&format=json&heartbeats=true&v=6`,
    );
    await socket.opened();
    await until(() => socket.frames.some((f) => f.action === 4), 'CONNECTED');

    let sent = 0;
    let received = 0;
    let lost = 0;
    let clear = 0;
    let beats = 0;
    const problems: string[] = [];
    try {
      for (const item of samples(ablyCases(), numRuns, seed)) {
        sent++;
        const before = socket.frames.length;
        socket.send(item.frame);
        const beat = `hb-${beats++}`;
        socket.send(JSON.stringify({ action: 0, id: beat }));
        try {
          await until(
            () => socket.frames.slice(before).some((f) => f.action === 0 && f.id === beat),
            'the HEARTBEAT echo',
            10_000,
          );
        } catch {
          lost++;
          problems.push(
            `no HEARTBEAT echo after ${show(item.frame)} (closed: ${show(socket.closed)})`,
          );
          break;
        }
        const answers = socket.frames
          .slice(before)
          .filter((f) => !(f.action === 0 && f.id === beat));
        received += answers.length;
        const errors = answers.filter((f) => f.action === 9 || f.action === 2);
        if (item.answer === 'error') {
          const error = errors[0]?.error as
            | { code?: unknown; statusCode?: unknown; message?: unknown }
            | undefined;
          if (!error) {
            lost++;
            problems.push(`no ERROR/NACK for ${show(item.frame)}: ${show(answers)}`);
          } else if (
            error.code === 40000 &&
            error.statusCode === 400 &&
            typeof error.message === 'string' &&
            error.message.length > 0
          )
            clear++;
          else problems.push(`unclear ${show(errors[0])} for ${show(item.frame)}`);
        } else if (answers.length > 0) {
          problems.push(`unexpected ${show(answers)} for ${show(item.frame)}`);
        }
      }

      // The same connection attaches, publishes (ACK) and receives its own message.
      socket.send(JSON.stringify({ action: 10, channel: 'after' }));
      await until(
        () => socket.frames.some((f) => f.action === 11 && f.channel === 'after'),
        'ATTACHED',
      );
      socket.send(
        JSON.stringify({
          action: 15,
          channel: 'after',
          msgSerial: 0,
          messages: [{ name: 'after', data: 'ok' }],
        }),
      );
      await until(() => socket.frames.some((f) => f.action === 1), 'the ACK');
      await until(
        () => socket.frames.some((f) => f.action === 15 && f.channel === 'after'),
        'the message published after the storm',
      );

      record({
        scenario: 'fuzz: ably emulator ws',
        provider: 'ably',
        sent,
        received,
        lost,
        duplicated: 0,
        note: `${numRuns} runs, seed ${seed}, ${clear} clear errors, ${beats} heartbeats echoed`,
      });
      expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
      expect(socket.closed).toBeUndefined();
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
      socket.close();
    }
  });

  it('Ably emulator: malformed REST requests get 4xx with an ErrorInfo, never 5xx', async () => {
    const numRuns = 80;
    const seed = FUZZ_SEED + 21;
    console.log(`[fuzz: ably emulator rest] seed=${seed} numRuns=${numRuns}`);
    const basic = `Basic ${Buffer.from(ably.apiKey).toString('base64')}`;
    const restCase = fc.oneof(
      fc
        .oneof(
          nonJsonText,
          fc.constantFrom('null', '[null]', '5', '"text"', 'true', '[1,"a"]'),
          fc.record({ name: notAString }).map((v) => JSON.stringify(v)),
          fc
            .array(
              fc.record({ name: fc.constant('ok'), extras: fc.oneof(fc.integer(), fc.string()) }),
              { minLength: 1, maxLength: 2 },
            )
            .map((v) => JSON.stringify(v)),
          fc
            .record({ id: notAString, clientId: notAString })
            .filter((v) => v.id !== undefined)
            .map((v) => JSON.stringify(v)),
        )
        .map((body) => ({ path: '/channels/fuzz/messages', body, auth: basic })),
      fc
        .record({
          path: fc.constantFrom(
            '/channels/fuzz/messages',
            '/channels/%E0%A4%A/messages',
            '/nope',
            '/channels/',
          ),
          auth: fc.constantFrom(
            'Basic !!!',
            `Basic ${Buffer.from('wrong.key:secret').toString('base64')}`,
            'Bearer nope',
            '',
            'Digest x',
          ),
        })
        .map(({ path, auth }) => ({ path, body: '[{"name":"x","data":"y"}]', auth })),
    );
    let sent = 0;
    let received = 0;
    let lost = 0;
    let clear = 0;
    const problems: string[] = [];
    for (const item of samples(restCase, numRuns, seed)) {
      sent++;
      const response = await fetch(`${ably.url}${item.path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(item.auth ? { authorization: item.auth } : {}),
        },
        body: item.body,
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (!response) {
        lost++;
        problems.push(`no response: ${item.path} ${show(item.body)}`);
        continue;
      }
      received++;
      const body = (await response.json().catch(() => undefined)) as
        | { error?: { code?: unknown; statusCode?: unknown; message?: unknown } }
        | undefined;
      const error = body?.error;
      if (
        response.status >= 400 &&
        response.status < 500 &&
        typeof error?.code === 'number' &&
        error.statusCode === response.status &&
        typeof error.message === 'string' &&
        error.message.length > 0
      )
        clear++;
      else
        problems.push(
          `${item.path} ${item.auth} ${show(item.body)} → ${response.status} ${show(body)}`,
        );
    }
    const ok = await fetch(`${ably.url}/channels/fuzz/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic },
      body: '[{"name":"x","data":"y"}]',
    });
    record({
      scenario: 'fuzz: ably emulator rest',
      provider: 'ably',
      sent,
      received,
      lost,
      duplicated: 0,
      note: `${numRuns} runs, seed ${seed}, ${clear} clear errors`,
    });
    expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);
    expect(ok.status).toBe(201);
  });
});

/** An object with a string `name` and string `data`: with valid channels it is a real event. */
function couldBeAnEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { name, data } = value as { name?: unknown; data?: unknown };
  return typeof name === 'string' && typeof data === 'string';
}

/** What the Pusher HTTP API takes as `channels`: 1–100 valid channel names. */
function isChannelList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= 100 &&
    value.every((name) => typeof name === 'string' && /^[A-Za-z0-9_\-=@,.;]{1,200}$/.test(name))
  );
}
