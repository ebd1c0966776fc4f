import type { RealtimeClient } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSocketIOHarness } from './hubHarness.js';

// The hub throttles each connection (a burst of 20, then 200/s); the client's offline queue holds
// more than that. Flushing it must slow down and retry in order, not fail the overflow.
const harness = createSocketIOHarness({
  transports: ['websocket'],
  hub: { rateLimit: { perSecond: 200, burst: 20 } },
});
const clients: RealtimeClient[] = [];

beforeAll(() => harness.setup?.());
afterAll(async () => {
  for (const client of clients) client.close();
  await harness.teardown?.();
});

it('an offline queue larger than the hub’s rate-limit burst flushes completely, in order', async () => {
  const receiver = await harness.createClient({ clientId: 'flush-receiver' });
  const sender = await harness.createClient({ clientId: 'flush-sender' });
  clients.push(receiver, sender);
  await receiver.connect();
  const received: number[] = [];
  receiver.channel('flush').subscribe('n', (m) => received.push(m.data as number));
  await receiver.channel('flush').ready();

  const total = 150;
  const sent = Array.from({ length: total }, (_, n) => sender.channel('flush').publish('n', n));
  const errors: unknown[] = [];
  for (const p of sent) p.catch((error: unknown) => errors.push(error));
  await sender.connect();
  await Promise.all(sent);
  expect(errors).toEqual([]);
  await waitFor('every message', () => received.length >= total, { timeoutMs: 15_000 });
  expect(received).toEqual(Array.from({ length: total }, (_, n) => n));
});
