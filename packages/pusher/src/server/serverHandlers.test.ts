import { createHmac } from 'node:crypto';
import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import { createPusherAuthHandler } from './createPusherAuthHandler.js';
import { createPusherPublishHandler } from './createPusherPublishHandler.js';

// Signing is local in the pusher SDK, and every publish below is refused before it would trigger.
const pusher = new Pusher({ appId: '1', key: 'k', secret: 's', host: '127.0.0.1', port: '1' });
const authenticate = (token: string | undefined) => (token === 'good' ? { userId: 'alice' } : null);
const auth = createPusherAuthHandler({
  pusher,
  authenticate,
  authorize: ({ channel }) => channel !== 'vault',
});
const publish = createPusherPublishHandler({ pusher, authenticate });

const form = (body: Record<string, string>, token = 'good') =>
  new Request('http://app/pusher/auth', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: new URLSearchParams(body),
  });
const post = (body: unknown, token = 'good') =>
  new Request('http://app/pusher/publish', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const errorOf = async (response: Response) => ({
  status: response.status,
  ...((await response.json()) as { error: { code: string } }).error,
});

describe('createPusherAuthHandler', () => {
  it('signs a private channel exactly as Pusher verifies it', async () => {
    const response = await auth(form({ socket_id: '1.2', channel_name: 'private-room' }));
    const body = (await response.json()) as { auth: string };
    const hex = createHmac('sha256', 's').update('1.2:private-room').digest('hex');
    expect(body.auth).toBe(`k:${hex}`);
  });

  it('puts identity from authenticate(), not from the request, into presence data', async () => {
    const response = await auth(
      form({
        socket_id: '1.2',
        channel_name: 'presence-room',
        presence_data: '{"clientId":"bob"}',
      }),
    );
    const body = (await response.json()) as { channel_data: string };
    expect(JSON.parse(body.channel_data)).toEqual({
      user_id: 'alice#1.2',
      user_info: { clientId: 'alice', entered: true, data: { clientId: 'bob' } },
    });
  });

  it('answers bad input with a 4xx JSON error that says what to fix', async () => {
    expect(await errorOf(await auth(form({ socket_id: 'x' })))).toMatchObject({
      status: 400,
      code: 'bad_request',
    });
    expect(await errorOf(await auth(form({ socket_id: '1.2' }, 'bad')))).toMatchObject({
      status: 401,
    });
    expect(
      await errorOf(await auth(form({ socket_id: '1.2', channel_name: 'private-vault' }))),
    ).toMatchObject({ status: 403, code: 'forbidden' });
    expect(
      await errorOf(await auth(form({ socket_id: '1.2', channel_name: 'room' }))),
    ).toMatchObject({ status: 400, message: expect.stringContaining('private-') });
    const big = JSON.stringify('x'.repeat(2_000));
    expect(
      await errorOf(
        await auth(form({ socket_id: '1.2', channel_name: 'presence-r', presence_data: big })),
      ),
    ).toMatchObject({ status: 413 });
  });
});

describe('createPusherPublishHandler', () => {
  it('answers bad input with a 4xx JSON error that says what to fix', async () => {
    expect(await errorOf(await publish(post('not json')))).toMatchObject({ status: 400 });
    expect(await errorOf(await publish(post({ channel: 'a b', event: 'e' })))).toMatchObject({
      status: 400,
      message: expect.stringContaining('portable'),
    });
    expect(await errorOf(await publish(post({ channel: 'room', event: '' })))).toMatchObject({
      status: 400,
    });
    expect(
      await errorOf(await publish(post({ channel: 'room', event: 'e' }, 'bad'))),
    ).toMatchObject({ status: 401 });
    expect(
      await errorOf(await publish(post({ channel: 'room', event: 'e', data: 'x'.repeat(10_000) }))),
    ).toMatchObject({ status: 413 });
    const get = await publish(new Request('http://app/pusher/publish'));
    expect(get.status).toBe(405);
  });
});
