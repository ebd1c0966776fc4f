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

it('a refused subscribe leaves no Ably channel retrying on its own after core failed it', async () => {
  // ably-js re-attaches a suspended channel after channelRetryTimeout (15 s by default; an
  // option its source calls undocumented but part of the API, absent from its typings).
  const clientOptions: Ably.ClientOptions = Object.assign(
    { ...emulator.clientOptions(), logLevel: 0 },
    { channelRetryTimeout: 100 },
  );
  const client = createRealtime({
    clientId: 'refused',
    connectivity: noConnectivitySignals,
    attach: { maxAttempts: 1 },
    transport: ablyTransport({ Realtime: Ably.Realtime, clientOptions }),
  });
  try {
    await client.connect();
    emulator.refuseAttaches('refused-room', 1_000);
    const channel = client.channel('refused-room');
    channel.subscribe(() => {});
    await expect.poll(() => channel.state.getSnapshot().state).toBe('failed');
    expect(emulator.attachCount('refused-room')).toBe(1);
    // Several of ably-js's retry periods: nothing attaches a channel core gave up on.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(emulator.attachCount('refused-room')).toBe(1);
    expect(channel.state.getSnapshot().state).toBe('failed');
  } finally {
    client.close();
  }
});
