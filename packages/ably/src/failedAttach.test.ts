import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ablyTransport } from './ablyTransport.js';

let emulator: AblyEmulator;
beforeAll(async () => {
  emulator = await createAblyEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});

it('a refused subscribe leaves no Ably channel that re-attaches on its own after core failed it', async () => {
  // The app's own client, so the test reads the channel's state through ably's public API.
  const app = new Ably.Realtime({ ...emulator.clientOptions(), clientId: 'refused', logLevel: 0 });
  const client = createRealtime({
    clientId: 'refused',
    connectivity: noConnectivitySignals,
    attach: { maxAttempts: 1 },
    transport: ablyTransport({ client: app }),
  });
  try {
    await client.connect();
    emulator.refuseAttaches('refused-room', 1_000);
    const channel = client.channel('refused-room');
    channel.subscribe(() => {});
    await expect.poll(() => channel.state.getSnapshot().state).toBe('failed');
    // ably-js leaves a refused channel `suspended` and attaches it again by itself after its
    // channel retry timeout (15 s); a `detached` channel it leaves alone.
    await expect.poll(() => app.channels.get('refused-room').state).toBe('detached');
    expect(emulator.attachCount('refused-room')).toBe(1);
    expect(channel.state.getSnapshot().state).toBe('failed');
  } finally {
    client.close();
    app.close();
  }
});
