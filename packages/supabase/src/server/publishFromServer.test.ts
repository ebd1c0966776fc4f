import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import { createServerPublisher } from '@patchbay/realtime-core/server';
import { createSupabaseEmulator, type SupabaseEmulator } from '@patchbay/realtime-testkit/supabase';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { supabaseTransport } from '../supabaseTransport.js';
import { publishFromServer, signSupabaseToken, supabaseServerPublisher } from './index.js';

let emulator: SupabaseEmulator;
beforeAll(async () => {
  emulator = await createSupabaseEmulator({ port: 0 });
});
afterAll(() => emulator.close());

it('a REST publish reaches a Patchbay client with id, event, data and clientId; a signed token names the user', async () => {
  const token = await signSupabaseToken({ jwtSecret: emulator.jwtSecret, userId: 'dana' });
  const client = createRealtime({
    connectivity: noConnectivitySignals,
    auth: () => token,
    transport: supabaseTransport({
      url: emulator.httpUrl,
      apiKey: emulator.anonKey,
      clientOptions: { transport: emulator.clientOptions().transport },
    }),
  });
  await client.connect();
  expect(client.connection.getSnapshot().clientId).toBe('dana');
  const received: unknown[] = [];
  client.channel('news').subscribe((message) => received.push(message));
  await client.channel('news').ready();
  const backend = await supabaseServerPublisher({
    url: emulator.httpUrl,
    serviceKey: emulator.serviceKey,
  });
  await backend.publish({
    channel: 'news',
    event: 'posted',
    data: { n: 1 },
    id: 'p-1',
    clientId: 'server',
  });
  await backend.publish({
    channel: 'news',
    event: 'posted',
    data: { n: 1 },
    id: 'p-1',
    clientId: 'server',
  });
  await expect.poll(() => received.length).toBe(1);
  expect(received[0]).toMatchObject({
    id: 'p-1',
    event: 'posted',
    data: { n: 1 },
    clientId: 'server',
  });
  client.close();
});

it('a refused REST publish says what happened and whether to retry', async () => {
  const publish = publishFromServer({ url: emulator.httpUrl, serviceKey: 'not-a-key' });
  await expect(publish('news', 'posted', 1)).rejects.toMatchObject({
    code: 'publish_rejected',
    retryable: false,
  });
  const down = publishFromServer({ url: 'http://127.0.0.1:1', serviceKey: 'k' });
  await expect(down('news', 'posted', 1)).rejects.toMatchObject({ retryable: true });
});

it('createServerPublisher with provider supabase publishes through the REST endpoint', async () => {
  const publisher = await createServerPublisher(
    { provider: 'supabase', url: emulator.httpUrl, apiKey: emulator.anonKey },
    {
      supabase: { serviceKey: emulator.serviceKey },
      loaders: { supabase: () => import('./index.js') },
    },
  );
  await expect(publisher.publish('news', 'posted', { n: 2 })).resolves.toMatchObject({
    id: expect.any(String),
  });
  await publisher.close();
});
