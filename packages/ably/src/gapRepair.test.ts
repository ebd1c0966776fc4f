import {
  createRealtime,
  type DiscontinuityEvent,
  noConnectivitySignals,
  type RealtimeError,
} from '@patchbay/realtime-core';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { afterEach, describe, expect, it } from 'vitest';
import { ablyTransport } from './ablyTransport.js';
import { ChannelFeed, type FeedHost } from './internal/channelFeed.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** A reader whose token may subscribe, publish and enter presence, but not read history. */
async function readerWithoutHistory(emulator: AblyEmulator, channelName: string) {
  const rest = new Ably.Rest({ ...emulator.clientOptions(), logLevel: 0 });
  const { key: _key, ...options } = emulator.clientOptions();
  const client = createRealtime({
    clientId: 'reader',
    connectivity: noConnectivitySignals,
    auth: async () =>
      JSON.stringify(
        await rest.auth.createTokenRequest({
          clientId: 'reader',
          capability: { '*': ['subscribe', 'publish', 'presence'] },
        }),
      ),
    transport: ablyTransport({
      Realtime: Ably.Realtime,
      clientOptions: { ...options, logLevel: 0 },
    }),
  });
  open.push(client);
  const received: string[] = [];
  const gaps: DiscontinuityEvent[] = [];
  const errors: RealtimeError[] = [];
  client.on('error', (error) => errors.push(error));
  const channel = client.channel(channelName);
  channel.subscribe('n', (message) => received.push(message.data as string));
  channel.on('discontinuity', (event) => gaps.push(event));
  await client.connect();
  await channel.ready();
  return { client, received, gaps, errors };
}

describe('a channel Ably re-attaches by itself is delivered or reported, never held', () => {
  it('a gap whose replay the token may not read is reported, and the channel stays live', async () => {
    const emulator = await createAblyEmulator({ port: 0 });
    open.push(emulator);
    const name = 'no-history';
    const reader = await readerWithoutHistory(emulator, name);
    emulator.publish(name, { name: 'n', data: 'before' });
    await expect.poll(() => reader.received).toEqual(['before']);

    // The service detaches the channel; before ably-js re-attaches (RTL13a) a message is
    // published and history forgets it, so the re-attach cannot resume and history is refused.
    emulator.detachChannel(name);
    emulator.publish(name, { name: 'n', data: 'lost' });
    emulator.truncateHistory(name);

    await expect
      .poll(() => reader.gaps)
      .toEqual([{ channel: name, reason: 'history-unavailable' }]);
    emulator.publish(name, { name: 'n', data: 'after' });
    await expect.poll(() => reader.received).toEqual(['before', 'after']);
    expect(reader.errors.map((error) => error.name)).toEqual(['AuthError']);
    expect(reader.gaps).toHaveLength(1);
  });
});

/**
 * The feed against a stand-in channel, to force the one ordering a live link cannot: the replay
 * of a gap fails while the channel is re-attaching, and the re-attach then comes back resumed.
 */
describe('ChannelFeed', () => {
  const message = (serial: number, data: string): Ably.InboundMessage =>
    ({
      id: `m${serial}`,
      name: 'n',
      data,
      serial: serial.toString().padStart(4, '0'),
    }) as Ably.InboundMessage;

  function feedOn(channel: { state: string; history(): Promise<unknown> }) {
    const delivered: unknown[] = [];
    const gaps: string[] = [];
    const host: FeedHost = {
      sink: {
        message: (m) => delivered.push(m.data),
        presence: () => {},
        discontinuity: (name) => gaps.push(name),
        lost: () => {},
      },
      maxPages: 10,
      connected: () => true,
      delivered: () => {},
    };
    const feed = new ChannelFeed(
      'feed',
      channel as unknown as Ably.RealtimeChannel,
      { seq: 1, serial: '0001' },
      host,
    );
    feed.live = true;
    return { feed, delivered, gaps };
  }

  const page = (items: Ably.InboundMessage[]) => ({ items, hasNext: () => false });

  it('a gap whose replay failed during a re-attach is replayed at the next attach, even a resumed one', async () => {
    let reads = 0;
    const channel = {
      state: 'attached',
      history: async () => {
        reads++;
        if (reads === 1) {
          // The service detached the channel while the read was on its way.
          channel.state = 'attaching';
          throw Object.assign(new Error('channel detached'), { code: 90198, statusCode: 500 });
        }
        return page([message(3, 'm3'), message(2, 'm2'), message(1, 'm1')]);
      },
    };
    const { feed, delivered, gaps } = feedOn(channel);

    feed.onAttach({
      current: 'attached',
      previous: 'attaching',
      resumed: false,
    } as Ably.ChannelStateChange);
    // The read in flight (joined here) fails; the gap stays open for the next attach.
    await expect(feed.recover()).rejects.toThrow('channel detached');
    expect(reads).toBe(1);
    expect(feed.gap).toBe(true);
    // Live messages keep arriving behind the open gap.
    feed.onMessage(message(4, 'm4'));
    expect(delivered).toEqual([]);

    // The re-attach resumes from the channel serial ably-js last saw (m4's): the gap is still
    // behind it, and is replayed now.
    channel.state = 'attached';
    feed.onAttach({
      current: 'attached',
      previous: 'attaching',
      resumed: true,
    } as Ably.ChannelStateChange);
    await expect.poll(() => delivered).toEqual(['m2', 'm3', 'm4']);
    expect(feed.gap).toBe(false);
    expect(gaps).toEqual([]);
  });
});
