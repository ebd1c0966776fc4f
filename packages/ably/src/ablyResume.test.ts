import {
  createRealtime,
  type DiscontinuityEvent,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createTcpProxy, type TcpProxy, waitFor, waitForState } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ablyTransport } from './ablyTransport.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function emulatorWith(
  options: { connectionStateTtl?: number; remainPresentForMs?: number } = {},
): Promise<AblyEmulator> {
  const emulator = await createAblyEmulator({ port: 0, ...options });
  open.push(emulator);
  return emulator;
}

/**
 * A subscriber on its own network (a TCP proxy), built by a `Realtime` subclass so the test can
 * watch the real ably-js client: its connection id and every history read it makes.
 */
async function subscriber(emulator: AblyEmulator, channelName: string) {
  const network = await createTcpProxy({ upstream: emulator.port });
  open.push(network);
  const built: Ably.Realtime[] = [];
  class WatchedRealtime extends Ably.Realtime {
    constructor(options: Ably.ClientOptions) {
      super(options);
      built.push(this);
    }
  }
  const client = createRealtime({
    clientId: 'reader',
    connectivity: noConnectivitySignals,
    reconnect: { baseDelayMs: 20, maxDelayMs: 200 },
    transport: ablyTransport({
      Realtime: WatchedRealtime,
      clientOptions: { ...emulator.clientOptions(), port: network.port, logLevel: 0 },
    }),
  });
  open.push(client);
  const received: string[] = [];
  const gaps: DiscontinuityEvent[] = [];
  const channel = client.channel(channelName);
  channel.subscribe('n', (message) => received.push(message.data as string));
  channel.on('discontinuity', (event) => gaps.push(event));
  await client.connect();
  await channel.ready();
  const ably = built[0] as Ably.Realtime;
  const historyReads = vi.spyOn(ably.channels.get(channelName), 'history');
  return { client, channel, received, gaps, network, ably, historyReads };
}

/** Take the network away until `whileDown` is done, as Wi-Fi would: links die, connects fail. */
async function cut(network: TcpProxy, client: RealtimeClient, whileDown: () => Promise<void>) {
  network.refuse(true);
  network.cut();
  await waitForState(client, 'reconnecting');
  await whileDown();
  network.refuse(false);
  await waitForState(client, 'connected', { timeoutMs: 8_000 });
}

const publish = (emulator: AblyEmulator, channel: string, ...data: string[]) => {
  for (const text of data)
    emulator.publish(channel, { name: 'n', data: text, id: `${channel}-${text}` });
};

describe('ably resumes by itself', () => {
  it('a short cut is resumed by Ably: the same connection, no history read, missed messages once', async () => {
    const emulator = await emulatorWith();
    const reader = await subscriber(emulator, 'resume-short');
    publish(emulator, 'resume-short', 'before');
    await expect.poll(() => reader.received).toEqual(['before']);
    const { connectionId } = reader.client.connection.getSnapshot();

    await cut(reader.network, reader.client, async () => {
      publish(emulator, 'resume-short', 'm1', 'm2', 'm3');
    });
    await reader.channel.ready();
    publish(emulator, 'resume-short', 'after');

    await expect.poll(() => reader.received).toEqual(['before', 'm1', 'm2', 'm3', 'after']);
    expect(reader.client.connection.getSnapshot().connectionId).toBe(connectionId);
    expect(reader.historyReads).not.toHaveBeenCalled();
    expect(reader.gaps).toEqual([]);
  });

  it('a cut longer than the resume window comes back on a new connection and still delivers everything once', async () => {
    const emulator = await emulatorWith({ connectionStateTtl: 1_000 });
    const reader = await subscriber(emulator, 'resume-expired');
    publish(emulator, 'resume-expired', 'before');
    await expect.poll(() => reader.received).toEqual(['before']);
    const { connectionId } = reader.client.connection.getSnapshot();

    await cut(reader.network, reader.client, async () => {
      publish(emulator, 'resume-expired', 'm1', 'm2');
      // Past connectionStateTtl ably-js gives the connection up (suspended); so does the server.
      await waitFor('ably-js to suspend the connection', () =>
        reader.ably.connection.state === 'suspended' ? true : undefined,
      );
    });
    await reader.channel.ready();
    publish(emulator, 'resume-expired', 'after');

    await expect.poll(() => reader.received).toEqual(['before', 'm1', 'm2', 'after']);
    expect(reader.client.connection.getSnapshot().connectionId).not.toBe(connectionId);
    expect(reader.gaps).toEqual([]);
  });

  it('a channel Ably re-attaches without resuming is repaired from history: missed messages once, in order', async () => {
    // Members leave as soon as their link dies (Ably's remainPresentFor: 0), so this one cannot
    // claim the channel's continuity afterwards: the re-attach comes back with resumed: false.
    const emulator = await emulatorWith({ remainPresentForMs: 0 });
    const reader = await subscriber(emulator, 'not-resumed');
    await reader.channel.presence.enter({ here: true });
    publish(emulator, 'not-resumed', 'before');
    await expect.poll(() => reader.received).toEqual(['before']);

    await cut(reader.network, reader.client, async () => {
      publish(emulator, 'not-resumed', 'm1', 'm2', 'm3');
    });
    await reader.channel.ready();
    publish(emulator, 'not-resumed', 'after');

    await expect.poll(() => reader.received).toEqual(['before', 'm1', 'm2', 'm3', 'after']);
    expect(reader.historyReads).toHaveBeenCalled();
    expect(reader.gaps).toEqual([]);
  });

  it('a gap history no longer holds is reported as a discontinuity', async () => {
    const emulator = await emulatorWith();
    const reader = await subscriber(emulator, 'truncated');
    publish(emulator, 'truncated', 'before');
    await expect.poll(() => reader.received).toEqual(['before']);

    await cut(reader.network, reader.client, async () => {
      publish(emulator, 'truncated', 'lost');
      emulator.truncateHistory('truncated');
    });
    await reader.channel.ready();
    publish(emulator, 'truncated', 'after');

    await expect.poll(() => reader.received).toEqual(['before', 'after']);
    expect(reader.gaps).toEqual([{ channel: 'truncated', reason: 'history-unavailable' }]);
  });
});
