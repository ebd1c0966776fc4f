import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import * as Ably from 'ably';
import { expect, it } from 'vitest';
import { ablyTransport } from './ablyTransport.js';

it('the factory refuses a Realtime that is not a constructor', () => {
  expect(() => ablyTransport({ Realtime: {} as never })).toThrow(
    expect.objectContaining({ code: 'invalid_config' }),
  );
});

it('client options Ably cannot use fail the connect with a ConfigError, not a retry loop', async () => {
  const client = createRealtime({
    connectivity: noConnectivitySignals,
    transport: ablyTransport({
      Realtime: Ably.Realtime,
      // No key, authUrl, authCallback or auth(): Ably has no way to authenticate.
      clientOptions: { endpoint: '127.0.0.1', port: 9, tls: false, logLevel: 0 },
    }),
  });
  try {
    await expect(client.connect()).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('credentials'),
    });
    expect(client.connection.getSnapshot().state).toBe('failed');
  } finally {
    client.close();
  }
});
