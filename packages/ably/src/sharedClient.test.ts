import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import { createTcpProxy, waitForState } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ablyTransport } from './ablyTransport.js';
import type { RecoveryKeyStorage } from './internal/options.js';

let emulator: AblyEmulator;
beforeAll(async () => {
  emulator = await createAblyEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});

const options = () => ({ ...emulator.clientOptions(), logLevel: 0 });

it('an app-provided Ably client is shared, and Patchbay close() leaves it connected and listening', async () => {
  const app = new Ably.Realtime({ ...options(), clientId: 'shared' });
  const watcher = createRealtime({
    clientId: 'watcher',
    connectivity: noConnectivitySignals,
    transport: ablyTransport({ Realtime: Ably.Realtime, clientOptions: options() }),
  });
  try {
    const appMessages: unknown[] = [];
    await app.channels.get('app-own').subscribe((message) => appMessages.push(message.data));

    const patchbay = createRealtime({
      clientId: 'shared',
      connectivity: noConnectivitySignals,
      transport: ablyTransport({ client: app }),
    });
    await patchbay.connect();
    expect(patchbay.connection.getSnapshot().connectionId).toBe(app.connection.id);
    const seen = watcher.channel('pb-room').presence;
    seen.subscribe(() => {});
    await watcher.connect();
    await patchbay.channel('pb-room').presence.enter({ via: 'patchbay' });
    await expect.poll(() => seen.getSnapshot().map((m) => m.clientId)).toEqual(['shared']);

    patchbay.close();

    // Patchbay's presence is gone at once; the app's connection and its own channel are not.
    await expect.poll(() => seen.getSnapshot()).toEqual([]);
    expect(app.connection.state).toBe('connected');
    emulator.publish('app-own', { name: 'n', data: 'still here' });
    await expect.poll(() => appMessages).toEqual(['still here']);
  } finally {
    watcher.close();
    app.close();
  }
});

it('with recover, a reloaded page takes over its previous connection from the stored recovery key', async () => {
  const stored = new Map<string, string>();
  const storage: RecoveryKeyStorage = {
    getItem: (key) => stored.get(key) ?? null,
    setItem: (key, value) => void stored.set(key, value),
    removeItem: (key) => void stored.delete(key),
  };
  const network = await createTcpProxy({ upstream: emulator.port });
  const page = (port: number) =>
    createRealtime({
      clientId: 'reloader',
      connectivity: noConnectivitySignals,
      transport: ablyTransport({
        Realtime: Ably.Realtime,
        recover: { storage },
        clientOptions: { ...options(), port },
      }),
    });
  const first = page(network.port);
  const second = page(emulator.port);
  try {
    await first.connect();
    const { connectionId } = first.connection.getSnapshot();
    await expect.poll(() => stored.size).toBe(1);
    // The page goes away without closing (a reload): its socket just dies.
    network.refuse(true);
    network.cut();
    await waitForState(first, 'reconnecting');

    await second.connect();
    expect(second.connection.getSnapshot().connectionId).toBe(connectionId);
  } finally {
    first.close();
    second.close();
    await network.close();
  }
  // A deliberate close ends the connection for good: nothing is left to recover.
  expect(stored.size).toBe(0);
});
