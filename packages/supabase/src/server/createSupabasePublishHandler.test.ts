import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeMessage,
} from '@patchbay/realtime-core';
import { createSupabaseEmulator, type SupabaseEmulator } from '@patchbay/realtime-testkit/supabase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supabaseTransport } from '../supabaseTransport.js';
import { createSupabasePublishHandler, type SupabasePublishHandlerOptions } from './index.js';

let emulator: SupabaseEmulator;
let receiver: RealtimeClient;
/** What the receiver got on "room", in order. */
const received: RealtimeMessage[] = [];
/** Every message onPublish saw, in order. */
const recorded: RealtimeMessage[] = [];

beforeAll(async () => {
  emulator = await createSupabaseEmulator({ port: 0 });
  receiver = createRealtime({
    connectivity: noConnectivitySignals,
    auth: () => emulator.signToken({ sub: 'receiver' }),
    transport: supabaseTransport({
      url: emulator.httpUrl,
      apiKey: emulator.anonKey,
      clientOptions: { transport: emulator.clientOptions().transport },
    }),
  });
  await receiver.connect();
  receiver.channel('room').subscribe((message) => received.push(message));
  await receiver.channel('room').ready();
});
afterAll(async () => {
  await receiver.close();
  await emulator.close();
});

function handler(overrides: Partial<SupabasePublishHandlerOptions> = {}) {
  return createSupabasePublishHandler({
    url: emulator.httpUrl,
    serviceKey: emulator.serviceKey,
    authenticate: (token) => (token === 'alice-token' ? { userId: 'alice' } : null),
    onPublish: (message) => {
      recorded.push(message);
    },
    ...overrides,
  });
}

function post(body: BodyInit, token: string | undefined = 'alice-token'): Request {
  return new Request('http://app.test/api/publish', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
    duplex: 'half',
  } as RequestInit);
}

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as Record<string, never> };
}

/**
 * A request body that counts how many chunks were pulled from it: `chunks` of `size` bytes (a
 * publish whose `data` string never ends), pulled only when the handler reads.
 */
function countedBody(size: number, chunks = Number.POSITIVE_INFINITY) {
  const state = { pulled: 0, cancelled: false };
  const head = new TextEncoder().encode('{"channel":"room","event":"e","data":"');
  const filler = new Uint8Array(size).fill(0x78);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulled += 1;
        if (state.pulled > chunks) controller.close();
        else controller.enqueue(state.pulled === 1 ? head : filler);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** Publish a marker as the server and wait for it: whatever was broadcast before it has arrived. */
async function settle(publish: (request: Request) => Promise<Response>): Promise<void> {
  const id = globalThis.crypto.randomUUID();
  const response = await publish(post(JSON.stringify({ channel: 'room', event: 'marker', id })));
  expect(response.status).toBe(200);
  await expect.poll(() => received.some((message) => message.id === id)).toBe(true);
}

describe('createSupabasePublishHandler', () => {
  it('broadcasts with the authenticated user as clientId (never the body’s), answers { id, timestamp }, and calls onPublish first', async () => {
    const publish = handler();
    const response = await publish(
      post(
        JSON.stringify({
          channel: 'room',
          event: 'chat',
          data: { text: 'hi' },
          id: 'm-1',
          clientId: 'mallory',
        }),
      ),
    );
    const { status, body } = await answer(response);
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'm-1', timestamp: expect.any(Number) });
    await expect
      .poll(() => received.find((message) => message.id === 'm-1'))
      .toMatchObject({
        channel: 'room',
        event: 'chat',
        data: { text: 'hi' },
        clientId: 'alice',
        timestamp: body.timestamp,
      });
    expect(recorded.find((message) => message.id === 'm-1')).toEqual({
      id: 'm-1',
      channel: 'room',
      event: 'chat',
      data: { text: 'hi' },
      clientId: 'alice',
      timestamp: body.timestamp,
    });
  });

  it('generates an id when none is given, and publishes missing data as null', async () => {
    const { status, body } = await answer(
      await handler()(post(JSON.stringify({ channel: 'room', event: 'ping' }))),
    );
    expect(status).toBe(200);
    expect(body.id).toMatch(/\S{8,}/);
    await expect
      .poll(() => received.find((message) => message.id === body.id))
      .toMatchObject({ event: 'ping', data: null });
  });

  it('the same id posted twice (a retry) reaches receivers once', async () => {
    const publish = handler();
    const body = JSON.stringify({ channel: 'room', event: 'chat', data: 'twice', id: 'retry-1' });
    expect((await publish(post(body))).status).toBe(200);
    expect((await publish(post(body))).status).toBe(200);
    await settle(publish);
    expect(received.filter((message) => message.id === 'retry-1')).toHaveLength(1);
    // The app's history sees both attempts under one id (onPublish must be idempotent by id).
    expect(recorded.filter((message) => message.id === 'retry-1')).toHaveLength(2);
  });

  it('refuses a caller authenticate rejects with 401 before reading the body', async () => {
    const { stream, state } = countedBody(64 * 1024);
    const refused = await answer(await handler()(post(stream, 'bad-token')));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({
      code: 'unauthenticated',
      message: expect.stringContaining('Authorization: Bearer'),
    });
    expect(state.pulled).toBe(0);
    const anonymous = await handler()(post(JSON.stringify({ channel: 'room', event: 'e' }), ''));
    expect(anonymous.status).toBe(401);
  });

  it('refuses an endless body with 413 once it passes the cap, without reading the rest', async () => {
    const { stream, state } = countedBody(64 * 1024);
    const publish = handler({ maxMessageBytes: 1024 });
    const { status, body } = await answer(await publish(post(stream)));
    expect(status).toBe(413);
    // 3 × 1 024 bytes + 8 KiB for the fields around data.
    expect(body.error).toMatchObject({
      code: 'too_large',
      message: expect.stringContaining('over 11264 bytes'),
    });
    expect(state.pulled).toBeLessThanOrEqual(3);
    expect(state.cancelled).toBe(true);
  });

  it('refuses a message over maxMessageBytes with 413 naming the limit', async () => {
    const { status, body } = await answer(
      await handler({ maxMessageBytes: 1024 })(
        post(JSON.stringify({ channel: 'room', event: 'e', data: 'x'.repeat(2_000), id: 'big' })),
      ),
    );
    expect(status).toBe(413);
    expect(body.error).toMatchObject({
      code: 'too_large',
      message: expect.stringContaining('at most 1024'),
    });
    expect(recorded.some((message) => message.id === 'big')).toBe(false);
  });

  it('answers bad input with 400 saying what is wrong, and broadcasts nothing', async () => {
    const publish = handler();
    const cases: Array<[string, string]> = [
      ['not json', 'must be JSON'],
      ['[1,2]', 'JSON object'],
      [JSON.stringify({ channel: 'a room', event: 'e' }), '"channel"'],
      [JSON.stringify({ event: 'e' }), '"channel"'],
      [JSON.stringify({ channel: 'room' }), '"event"'],
      [JSON.stringify({ channel: 'room', event: 'x'.repeat(201) }), '"event"'],
      [JSON.stringify({ channel: 'room', event: 'patchbay:leave' }), 'patchbay:'],
      [JSON.stringify({ channel: 'room', event: 'e', id: 7 }), '"id"'],
      [JSON.stringify({ channel: 'room', event: 'e', id: '' }), '"id"'],
      [
        `{"channel":"room","event":"e","data":${'['.repeat(2_000)}${']'.repeat(2_000)}}`,
        'nested deeper than 1000',
      ],
    ];
    const before = recorded.length;
    for (const [body, message] of cases) {
      const result = await answer(await publish(post(body)));
      expect({ body, status: result.status }).toEqual({ body, status: 400 });
      expect(result.body.error).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining(message),
      });
    }
    expect(recorded.length).toBe(before);
    expect((await publish(new Request('http://app.test/api/publish'))).status).toBe(405);
  });

  it('asks authorize with the user, channel and event; false is 403', async () => {
    const asked: unknown[] = [];
    const publish = handler({
      authorize: ({ userId, channel, event }) => {
        asked.push({ userId, channel, event });
        return channel !== 'locked';
      },
    });
    const { status, body } = await answer(
      await publish(post(JSON.stringify({ channel: 'locked', event: 'e', id: 'no' }))),
    );
    expect(status).toBe(403);
    expect(body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('"alice" may not publish on channel "locked"'),
    });
    expect(asked).toEqual([{ userId: 'alice', channel: 'locked', event: 'e' }]);
    expect(recorded.some((message) => message.id === 'no')).toBe(false);
  });

  it('does not broadcast when onPublish throws (500, safe to retry), and maps Supabase’s refusals', async () => {
    const failing = handler({
      onPublish: () => {
        throw new Error('history store down');
      },
    });
    const failed = await answer(
      await failing(post(JSON.stringify({ channel: 'room', event: 'e', id: 'unrecorded' }))),
    );
    expect(failed.status).toBe(500);
    expect(failed.body.error).toMatchObject({
      code: 'record_failed',
      message: expect.stringContaining('history store down'),
    });
    await settle(handler());
    expect(received.some((message) => message.id === 'unrecorded')).toBe(false);

    const badKey = await answer(
      await handler({ serviceKey: 'not-a-key' })(
        post(JSON.stringify({ channel: 'room', event: 'e' })),
      ),
    );
    expect(badKey.status).toBe(502);
    expect(badKey.body.error).toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('401'),
    });
    const down = await answer(
      await handler({ url: 'http://127.0.0.1:1' })(
        post(JSON.stringify({ channel: 'room', event: 'e' })),
      ),
    );
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'provider_unavailable' });
  });

  it('refuses bad options with a ConfigError naming the field', () => {
    const base = { url: 'http://127.0.0.1:1', serviceKey: 'k', authenticate: () => null };
    expect(() =>
      createSupabasePublishHandler({ ...base, authenticate: undefined as never }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('"authenticate"'),
      }),
    );
    expect(() => createSupabasePublishHandler({ ...base, serviceKey: '' })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"serviceKey"') }),
    );
    expect(() => createSupabasePublishHandler({ ...base, url: 'ref.supabase.co' })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"url"') }),
    );
    expect(() => createSupabasePublishHandler({ ...base, maxMessageBytes: 10 })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"maxMessageBytes"') }),
    );
  });
});
