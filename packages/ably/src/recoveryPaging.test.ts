import {
  createRealtime,
  type DiscontinuityEvent,
  noConnectivitySignals,
} from '@patchbay/realtime-core';
import { waitForState } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablyTransport } from './ablyTransport.js';

let emulator: AblyEmulator;

beforeAll(async () => {
  // Members leave as soon as their link dies (Ably's remainPresentFor: 0), so a re-attach
  // cannot claim continuity: the case where the transport reads history.
  emulator = await createAblyEmulator({ port: 0, remainPresentForMs: 0 });
});
afterAll(async () => {
  await emulator.close();
});

/**
 * A subscriber on `name`, then an outage during which `count` messages are published. The
 * subscriber is present on the channel: the emulator removes it when the link dies, so it cannot
 * claim the channel's continuity afterwards and Ably re-attaches without resuming — the case
 * where the transport reads history.
 */
async function missWhileDown(name: string, count: number, maxRecoveryPages: number) {
  const client = createRealtime({
    clientId: `pager-${name}`,
    connectivity: noConnectivitySignals,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
    transport: ablyTransport({
      Realtime: Ably.Realtime,
      maxRecoveryPages,
      clientOptions: { ...emulator.clientOptions(), logLevel: 0 },
    }),
  });
  const received: string[] = [];
  const gaps: DiscontinuityEvent[] = [];
  const channel = client.channel(name);
  channel.subscribe('n', (message) => received.push(message.data as string));
  channel.on('discontinuity', (event) => gaps.push(event));
  await client.connect();
  await channel.presence.enter({ here: true });
  emulator.publish(name, { name: 'n', data: 'before', id: `${name}-before` });
  await expect.poll(() => received).toEqual(['before']);
  await emulator.stop();
  await waitForState(client, 'reconnecting');
  for (let i = 0; i < count; i++)
    emulator.publish(name, { name: 'n', data: `m${i}`, id: `${name}-${i}` });
  await emulator.start();
  await waitForState(client, 'connected', { timeoutMs: 8_000 });
  await channel.ready();
  return { client, received, gaps };
}

describe('ably recovery reads history across pages', () => {
  it('a gap longer than one history page is replayed in order, once', async () => {
    const { client, received, gaps } = await missWhileDown('paged', 150, 2);
    try {
      const expected = ['before', ...Array.from({ length: 150 }, (_, i) => `m${i}`)];
      await expect.poll(() => received).toEqual(expected);
      expect(gaps).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('a gap longer than maxRecoveryPages is a discontinuity, not a partial silent replay', async () => {
    const { client, received, gaps } = await missWhileDown('too-long', 150, 1);
    try {
      await expect.poll(() => gaps.length).toBe(1);
      // Whatever Ably delivered live after the attach still arrives, once and in order.
      expect(received).toEqual([...new Set(received)]);
      expect(received[0]).toBe('before');
    } finally {
      client.close();
    }
  });
});
