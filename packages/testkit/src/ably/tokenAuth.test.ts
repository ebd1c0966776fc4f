import * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AblyEmulator, createAblyEmulator } from './createAblyEmulator.js';

let emulator: AblyEmulator;
let rest: Ably.Rest;
const opened: Ably.Realtime[] = [];

/** Connection options without the key: these clients only hold what a token grants. */
function keyless(): Ably.ClientOptions {
  const { key: _key, ...options } = emulator.clientOptions();
  return { ...options, logLevel: 0 };
}

function tokenClient(tokenRequest: Ably.TokenRequest): Ably.Realtime {
  const client = new Ably.Realtime({
    ...keyless(),
    authCallback: (_params, callback) => callback(null, tokenRequest),
  });
  opened.push(client);
  return client;
}

beforeAll(async () => {
  emulator = await createAblyEmulator({ port: 0 });
  rest = new Ably.Rest(emulator.clientOptions());
});
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});
afterAll(async () => {
  await emulator.close();
});

describe('Ably emulator: key and token auth with capabilities', () => {
  it('a wrong key secret fails the connection with 40101', async () => {
    const client = new Ably.Realtime({
      ...emulator.clientOptions(),
      key: 'patchbay.emulator:wrong',
      logLevel: 0,
    });
    opened.push(client);
    await client.connection.whenState('failed');
    expect(client.connection.errorReason).toMatchObject({ code: 40101, statusCode: 401 });
  });

  it('a signed TokenRequest connects as the clientId it names', async () => {
    const client = tokenClient(await rest.auth.createTokenRequest({ clientId: 'tok-alice' }));
    await client.connection.whenState('connected');
    expect(client.auth.clientId).toBe('tok-alice');
  });

  it('operations outside the token capability are refused with 40160, the connection stays up', async () => {
    const client = tokenClient(
      await rest.auth.createTokenRequest({
        clientId: 'tok-bob',
        capability: { 'read-only': ['subscribe', 'presence'], 'write-only': ['publish'] },
      }),
    );
    await expect(client.channels.get('elsewhere').attach()).rejects.toMatchObject({
      code: 40160,
      statusCode: 401,
    });
    await expect(client.channels.get('read-only').publish('x', 'no')).rejects.toMatchObject({
      code: 40160,
    });
    await expect(client.channels.get('write-only').presence.enter('hi')).rejects.toMatchObject({
      code: 40160,
    });
    await client.channels.get('write-only').publish('x', 'yes');
    await client.channels.get('read-only').presence.enter('here');
    expect(client.connection.state).toBe('connected');
  });

  it('a TokenRequest with a forged mac is refused with 40101', async () => {
    const forged = {
      ...(await rest.auth.createTokenRequest({ clientId: 'tok-mallory' })),
      mac: 'AAAA',
    };
    const client = new Ably.Rest({
      ...keyless(),
      authCallback: (_params, callback) => callback(null, forged),
    });
    await expect(client.channels.get('any').publish('x', 'y')).rejects.toMatchObject({
      code: 40101,
      statusCode: 401,
    });
  });

  it('REST publish with a token lacking publish is refused with 40160', async () => {
    const tokenRequest = await rest.auth.createTokenRequest({
      clientId: 'tok-reader',
      capability: { '*': ['subscribe'] },
    });
    const reader = new Ably.Rest({
      ...keyless(),
      authCallback: (_params, callback) => callback(null, tokenRequest),
    });
    await expect(reader.channels.get('news').publish('x', 'y')).rejects.toMatchObject({
      code: 40160,
      statusCode: 401,
    });
  });

  it('rejectAuth refuses a user at connect like a revoked credential', async () => {
    const restore = emulator.rejectAuth({ clientId: 'banned' });
    try {
      const client = new Ably.Realtime({
        ...emulator.clientOptions(),
        clientId: 'banned',
        logLevel: 0,
      });
      opened.push(client);
      await client.connection.whenState('failed');
      expect(client.connection.errorReason).toMatchObject({ code: 40101 });
    } finally {
      restore();
    }
  });

  it('in-band re-authentication (auth.authorize) keeps the same connection', async () => {
    const client = new Ably.Realtime({
      ...keyless(),
      authCallback: (_params, callback) => {
        rest.auth.createTokenRequest({ clientId: 'tok-renew' }).then(
          (request) => callback(null, request),
          (error: Ably.ErrorInfo) => callback(error, null),
        );
      },
    });
    opened.push(client);
    await client.connection.whenState('connected');
    const id = client.connection.id;
    await client.auth.authorize();
    expect(client.connection.state).toBe('connected');
    expect(client.connection.id).toBe(id);
  });
});
