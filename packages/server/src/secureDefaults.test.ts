import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import { describe, expect, it } from 'vitest';
import { createHubServer } from './createHubServer.js';
import { Hub } from './hub.js';
import { createHub } from './index.js';

describe('a hub without authenticate', () => {
  it('refuses to start, naming authenticate and allowAnonymous', () => {
    let caught: unknown;
    try {
      new Hub();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(ErrorCodes.InvalidConfig);
    expect((caught as Error).message).toMatch(/authenticate\(\{ token, clientId \}\)/);
    expect((caught as Error).message).toMatch(/allowAnonymous: true/);
    expect(() => createHub({ rateLimit: false })).toThrow(ConfigError);
    expect(() => new Hub({ allowAnonymous: false })).toThrow(ConfigError);
  });

  it('createHubServer refuses too, before it listens on a port', async () => {
    await expect(createHubServer({ port: 0 })).rejects.toThrow(/allowAnonymous: true/);
  });

  it('starts with an authenticate hook, which decides the identity', async () => {
    const hub = new Hub({
      authenticate: ({ token }) => (token === 'secret' ? { clientId: 'u1' } : null),
    });
    await expect(hub.identify('secret', 'mallory')).resolves.toEqual({ clientId: 'u1' });
    await expect(hub.identify('alice', undefined)).rejects.toMatchObject({
      code: ErrorCodes.AuthRejected,
    });
  });

  it('with allowAnonymous: true takes the development identity rule', async () => {
    const hub = new Hub({ allowAnonymous: true });
    await expect(hub.identify('alice.x', undefined)).resolves.toEqual({ clientId: 'alice' });
    await expect(hub.identify('bob', undefined)).resolves.toEqual({ clientId: 'bob' });
    await expect(hub.identify(undefined, 'carol')).resolves.toEqual({ clientId: 'carol' });
  });
});
