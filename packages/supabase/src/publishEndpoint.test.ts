import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeMessage,
} from '@patchbay/realtime-core';
import type {
  Transport,
  TransportConnectRequest,
  TransportMessage,
} from '@patchbay/realtime-core/transport';
import { createSupabaseEmulator, type SupabaseEmulator } from '@patchbay/realtime-testkit/supabase';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSupabasePublishHandler, publishFromServer } from './server/index.js';
import { type SupabaseTransportOptions, supabaseTransport } from './supabaseTransport.js';
import { serveHandler, type TestAppServer } from './testAppServer.js';

let emulator: SupabaseEmulator;
let app: TestAppServer;
let endpoint = '';
/** Every message the app server's onPublish saw, in order. */
const recorded: RealtimeMessage[] = [];
const clients: RealtimeClient[] = [];
const transports: Transport[] = [];

beforeAll(async () => {
  emulator = await createSupabaseEmulator({ port: 0 });
  const secret = new TextEncoder().encode(emulator.jwtSecret);
  app = await serveHandler(
    createSupabasePublishHandler({
      url: emulator.httpUrl,
      serviceKey: emulator.serviceKey,
      // The app server verifies the Supabase access token the client's auth() returned.
      authenticate: async (token) => {
        if (!token) return null;
        const { payload } = await jwtVerify(token, secret);
        return payload.sub ? { userId: payload.sub } : null;
      },
      onPublish: (message) => {
        recorded.push(message);
      },
    }),
  );
  endpoint = `${app.url}/api/publish`;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const transport of transports.splice(0)) transport.disconnect();
});
afterAll(async () => {
  await app.close();
  await emulator.close();
});

function transportOptions(overrides: Partial<SupabaseTransportOptions> = {}) {
  return {
    url: emulator.httpUrl,
    apiKey: emulator.anonKey,
    clientOptions: { transport: emulator.clientOptions().transport },
    publishEndpoint: endpoint,
    ...overrides,
  };
}

async function client(
  user: string,
  options: { echo?: boolean; transport?: Partial<SupabaseTransportOptions> } = {},
) {
  const realtime = createRealtime({
    connectivity: noConnectivitySignals,
    ...(options.echo !== undefined ? { echo: options.echo } : {}),
    auth: () => emulator.signToken({ sub: user }),
    transport: supabaseTransport(transportOptions(options.transport)),
  });
  clients.push(realtime);
  await realtime.connect();
  return realtime;
}

async function listen(realtime: RealtimeClient, channel: string) {
  const messages: RealtimeMessage[] = [];
  realtime.channel(channel).subscribe((message) => messages.push(message));
  await realtime.channel(channel).ready();
  return messages;
}

/** The transport alone, connected with a sink that collects what it delivers. */
async function bareTransport(echo: boolean, overrides: Partial<SupabaseTransportOptions> = {}) {
  const transport = supabaseTransport(transportOptions(overrides));
  transports.push(transport);
  const messages: TransportMessage[] = [];
  const token = await emulator.signToken({ sub: 'bare' });
  const request: TransportConnectRequest = {
    token,
    clientId: undefined,
    echo,
    signal: new AbortController().signal,
    refreshToken: async () => token,
    reconnect: {
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      connectTimeoutMs: 5_000,
      delayMs: () => 100,
    },
    sink: {
      message: (message) => messages.push(message),
      presence: () => {},
      lost: () => {},
      discontinuity: () => {},
    },
  };
  await transport.connect(request);
  return { transport, messages };
}

/** A canned answer from the publish endpoint, as the handler writes its errors. */
function answering(status: number, message: string): typeof fetch {
  return async () =>
    new Response(JSON.stringify({ error: { code: 'x', message } }), {
      status,
      headers: { 'content-type': 'application/json' },
    });
}

describe('supabaseTransport({ publishEndpoint })', () => {
  it('publishes through the app server as the token’s user; typing and presence stay on the socket', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const seen = await listen(bob, 'ep-room');
    const own = await listen(alice, 'ep-room');
    await alice.channel('ep-room').publish('chat', { text: 'hi' }, { id: 'ep-1' });
    // Resolved: the app server recorded it and Supabase accepted the broadcast.
    expect(recorded.find((message) => message.id === 'ep-1')).toMatchObject({
      channel: 'ep-room',
      event: 'chat',
      data: { text: 'hi' },
      clientId: 'alice',
    });
    await expect
      .poll(() => seen.find((message) => message.id === 'ep-1'))
      .toMatchObject({ event: 'chat', data: { text: 'hi' }, clientId: 'alice' });
    // echo is on by default: the REST broadcast comes back to the sender too.
    await expect.poll(() => own.map((message) => message.id)).toEqual(['ep-1']);

    const before = recorded.length;
    alice.channel('ep-room').typing.start();
    await expect.poll(() => bob.channel('ep-room').typing.getSnapshot()).toEqual(['alice']);
    await alice.channel('ep-room').presence.enter({ status: 'here' });
    await expect
      .poll(() =>
        bob
          .channel('ep-room')
          .presence.getSnapshot()
          .map((m) => m.clientId),
      )
      .toContain('alice');
    expect(recorded.length).toBe(before);
  });

  it('a publish whose answer was lost is sent again with its id and delivered once', async () => {
    let lost = 0;
    const alice = await client('alice', {
      transport: {
        // The request reaches the app server, but its answer never comes back (a dropped link).
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (lost > 0) return response;
          lost += 1;
          await response.body?.cancel();
          throw new TypeError('fetch failed: the connection was reset');
        },
      },
    });
    const bob = await client('bob');
    const seen = await listen(bob, 'ep-retry');
    await alice.channel('ep-retry').publish('chat', 'once', { id: 'retry-ep-1' });
    await alice.channel('ep-retry').publish('chat', 'after', { id: 'retry-ep-2' });
    // Order holds per publisher: once the second is there, any duplicate of the first would be too.
    await expect.poll(() => seen.map((message) => message.id)).toContain('retry-ep-2');
    expect(seen.map((message) => message.id)).toEqual(['retry-ep-1', 'retry-ep-2']);
    expect(recorded.filter((message) => message.id === 'retry-ep-1')).toHaveLength(2);
    expect(lost).toBe(1);
  });

  it('echo: false drops the REST broadcast of its own publishes in the transport; echo: true keeps it', async () => {
    const quiet = await bareTransport(false);
    await quiet.transport.subscribe('ep-echo', {});
    const loud = await bareTransport(true);
    await loud.transport.subscribe('ep-echo', {});
    await quiet.transport.publish({ channel: 'ep-echo', id: 'quiet-1', event: 'e', data: 1 });
    await loud.transport.publish({ channel: 'ep-echo', id: 'loud-1', event: 'e', data: 2 });
    await publishFromServer({ url: emulator.httpUrl, serviceKey: emulator.serviceKey })(
      'ep-echo',
      'e',
      3,
      { id: 'server-1' },
    );
    // One sender's messages arrive in order: the server's, last, marks that all are in.
    await expect.poll(() => quiet.messages.map((m) => m.id)).toContain('server-1');
    await expect.poll(() => loud.messages.map((m) => m.id)).toContain('server-1');
    expect(quiet.messages.map((m) => m.id)).toEqual(['loud-1', 'server-1']);
    expect(loud.messages.map((m) => m.id)).toEqual(['quiet-1', 'loud-1', 'server-1']);
  });

  it('maps the endpoint’s answers to core’s errors, retryable where sending again can help', async () => {
    let next: typeof fetch = answering(200, 'ok');
    const { transport } = await bareTransport(true, {
      fetch: (input, init) => next(input, init),
      requestTimeoutMs: 200,
    });
    const publish = () =>
      transport.publish({ channel: 'ep-errors', id: 'err-1', event: 'e', data: 1 }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
    await expect(publish()).resolves.toBe('resolved');

    const cases: Array<[number, Record<string, unknown>]> = [
      [401, { code: 'auth_rejected', retryable: false }],
      [403, { code: 'publish_rejected', retryable: false }],
      [400, { code: 'publish_rejected', retryable: false }],
      [413, { code: 'publish_rejected', retryable: false }],
      [404, { code: 'invalid_config', retryable: false }],
      [429, { code: 'rate_limited', retryable: true }],
      [500, { code: 'publish_rejected', retryable: true }],
      [503, { code: 'publish_rejected', retryable: true }],
    ];
    for (const [status, expected] of cases) {
      next = answering(status, `refused with ${status}`);
      const error = await publish();
      expect({ status, error }).toMatchObject({
        status,
        error: { ...expected, message: expect.stringContaining(`refused with ${status}`) },
      });
    }

    next = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(publish()).resolves.toMatchObject({
      code: 'connection_failed',
      retryable: true,
      message: expect.stringContaining('Could not reach the app server'),
    });

    // An endpoint that never answers: the request ends after requestTimeoutMs, to be sent again.
    next = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    await expect(publish()).resolves.toMatchObject({
      code: 'connection_failed',
      retryable: true,
      message: expect.stringContaining('requestTimeoutMs'),
    });

    // Closing ends a publish in flight with a retryable "dropped" error (core queues it again).
    const pending = publish();
    transport.disconnect();
    await expect(pending).resolves.toMatchObject({ code: 'connection_lost', retryable: true });
  });

  it('a path endpoint needs a page to resolve against: in Node the publish fails with a ConfigError', async () => {
    const { transport } = await bareTransport(true, { publishEndpoint: '/api/publish' });
    await expect(
      transport.publish({ channel: 'ep-path', id: 'p-1', event: 'e', data: 1 }),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('"publishEndpoint"'),
    });
  });

  it('validates the option: an absolute http(s) URL or a path, with a ConfigError naming the field', () => {
    const base = { url: 'https://ref.supabase.co', apiKey: 'anon' };
    for (const bad of ['api/publish', '//evil.example/p', 'ftp://x/p', '', 42]) {
      expect(() => supabaseTransport({ ...base, publishEndpoint: bad as string })).toThrow(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringContaining('"publishEndpoint"'),
        }),
      );
    }
    expect(() => supabaseTransport({ ...base, requestTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"requestTimeoutMs"') }),
    );
    const path = supabaseTransport({ ...base, publishEndpoint: '/api/publish' });
    expect(path.capabilities).toMatchObject({ publishAck: true, maxPublishesInFlight: 1 });
    const absolute = supabaseTransport({ ...base, publishEndpoint: 'https://app.example/p' });
    expect(absolute.capabilities.maxPublishesInFlight).toBe(1);
    expect(supabaseTransport(base).capabilities.maxPublishesInFlight).toBeUndefined();
  });
});
