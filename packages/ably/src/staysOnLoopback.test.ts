import { Socket } from 'node:net';
import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import { waitForState } from '@patchbay/realtime-testkit';
import { createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { expect, it, vi } from 'vitest';
import { ablyTransport } from './ablyTransport.js';

it('the ably client never leaves loopback: no fallback hosts, no connectivity checks', async () => {
  const hosts = new Set<string>();
  const original = Socket.prototype.connect;
  // Observe (and pass through) every outgoing TCP connection this process opens.
  vi.spyOn(Socket.prototype, 'connect').mockImplementation(function (
    this: Socket,
    ...args: unknown[]
  ) {
    // net.connect() passes its normalized [options, callback] array as the first argument.
    const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const host =
      typeof first === 'object' && first !== null
        ? (first as { host?: string; path?: string }).host
        : typeof second === 'string'
          ? second
          : undefined;
    if (host !== undefined) hosts.add(host);
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  });
  const emulator = await createAblyEmulator({ port: 0 });
  const client = createRealtime({
    clientId: 'loopback',
    connectivity: noConnectivitySignals,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
    transport: ablyTransport({
      Realtime: Ably.Realtime,
      clientOptions: { ...emulator.clientOptions(), logLevel: 0 },
    }),
  });
  try {
    await client.connect();
    const channel = client.channel('loop');
    const received: unknown[] = [];
    channel.subscribe('n', (m) => received.push(m.data));
    await channel.presence.enter({ here: true });
    await channel.publish('n', 1);
    // An outage and a return exercise the paths where ably-js would try fallbacks or checks.
    await emulator.stop();
    await waitForState(client, 'reconnecting');
    await emulator.start();
    await waitForState(client, 'connected', { timeoutMs: 8_000 });
    await channel.ready();
    await channel.publish('n', 2);
    await expect.poll(() => received).toEqual([1, 2]);
    await channel.history();
  } finally {
    client.close();
    await emulator.close();
  }
  expect(hosts.size).toBeGreaterThan(0);
  expect([...hosts]).toEqual(['127.0.0.1']);
});
