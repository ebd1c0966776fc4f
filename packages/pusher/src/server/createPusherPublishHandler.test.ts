import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPusherPublishHandler } from './createPusherPublishHandler.js';

const APP = { appId: '77', key: 'limits-key', secret: 'limits-secret' };
const THIRTY_MB = 30 * 1024 * 1024;

let emulator: PusherEmulator;
let app: Server;
let url = '';
/** The `data` of every publish that reached the pusher SDK, in order. */
const triggered: unknown[] = [];

beforeAll(async () => {
  emulator = await createPusherEmulator({ ...APP, port: 0 });
  const sdk = new PusherServer(emulator.serverOptions());
  const publish = createPusherPublishHandler({
    pusher: {
      trigger: (
        channel: string | string[],
        event: string,
        envelope: { data: unknown },
        params?: PusherServer.TriggerParams,
      ) => {
        triggered.push(envelope.data);
        return sdk.trigger(channel, event, envelope, params);
      },
    },
    authenticate: (token) => (token === 'good' ? { userId: 'alice' } : null),
  });
  // The handler on Node the way a Next.js route handler runs, on loopback.
  app = createServer(getRequestListener(publish, { overrideGlobalObjects: false }));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/pusher/publish`;
});
afterAll(async () => {
  app.closeAllConnections();
  await new Promise<void>((resolve) => app.close(() => resolve()));
  await emulator.close();
});

async function post(body: string, token = 'good') {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, never> };
}

/**
 * Uploads a `total`-byte body (a publish whose `data` string never ends) as a browser would, with
 * its Content-Length, writing only as fast as the socket drains, and stops at the answer. `sent`
 * says how much had been written by then.
 */
function upload(total: number, token: string) {
  return new Promise<{ status: number; message: string; sent: number }>((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': String(total),
      },
    });
    let sent = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        request.destroy();
        const { error } = JSON.parse(text) as { error: { message: string } };
        resolve({ status: response.statusCode ?? 0, message: error.message, sent });
      });
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const head = Buffer.from('{"channel":"room","event":"e","data":"');
    const filler = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!answered && sent < total) {
        const chunk = sent === 0 ? head : filler.subarray(0, Math.min(filler.length, total - sent));
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('createPusherPublishHandler over HTTP', () => {
  it('refuses an unauthenticated 30 MB body with 401 without waiting for the upload', async () => {
    const answer = await upload(THIRTY_MB, 'bad');
    expect(answer.status).toBe(401);
    expect(answer.message).toContain('Authorization: Bearer');
    expect(answer.sent).toBeLessThan(THIRTY_MB);
  });

  it('refuses a 30 MB body with 413 naming the limit, before the upload ends', async () => {
    const answer = await upload(THIRTY_MB, 'good');
    expect(answer.status).toBe(413);
    // 3 × 9 216 bytes of data + 8 KiB for the other fields.
    expect(answer.message).toContain('over 35840 bytes');
    expect(answer.message).toContain('reference');
    expect(answer.sent).toBeLessThan(THIRTY_MB);
    expect(triggered).toEqual([]);
  });

  it('answers a body nested 100 000 levels deep with 400, not a 500 stack overflow', async () => {
    const deep = `{"channel":"room","event":"e","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const answer = await post(deep);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('nested deeper than 1000 levels'),
    });
    expect(triggered).toEqual([]);
  });

  it('still publishes normal, limit-sized, escaped and 1 000-deep data intact', async () => {
    triggered.length = 0;
    const plain = await post(
      JSON.stringify({ channel: 'room', event: 'chat', data: { text: 'hi' }, id: 'm-1' }),
    );
    expect(plain).toMatchObject({ status: 200, body: { id: 'm-1' } });

    // 9 216 bytes of data as JSON (the limit), sent by a client that \u-escapes non-ASCII text.
    const accents = 'é'.repeat(4_607);
    const escaped = JSON.stringify({ channel: 'room', event: 'chat', data: accents }).replace(
      /é/g,
      '\\u00e9',
    );
    expect((await post(escaped)).status).toBe(200);

    let nested: unknown = 'leaf';
    for (let level = 0; level < 1_000; level += 1) nested = [nested];
    expect(
      (await post(JSON.stringify({ channel: 'room', event: 'deep', data: nested }))).status,
    ).toBe(200);

    expect(triggered).toEqual([{ text: 'hi' }, accents, nested]);
  });
});
