import { describe, expect, it, vi } from 'vitest';
import type { Channel } from './channel.js';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { createMemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';

/**
 * Providers keep members on a separate channel kind (Pusher's presence- channels), so the attach
 * says whether presence is wanted. Every way of watching presence must say so, including on the
 * first attach of an already connected client.
 */
describe('presence watchers ask the provider for presence', () => {
  async function setup() {
    const transport = memoryTransport({ hub: createMemoryHub() });
    const subscribe = vi.spyOn(transport, 'subscribe');
    const client = createRealtime({ transport, connectivity: noConnectivitySignals });
    await client.connect();
    const presenceAsked = () => subscribe.mock.calls.map(([, options]) => options.presence);
    return { client, presenceAsked };
  }

  it.each([
    ['members store listener', (channel: Channel) => channel.presence.subscribe(() => {})],
    ['member event listener (onEvent)', (channel: Channel) => channel.presence.onEvent(() => {})],
  ])('%s', async (_name, watch) => {
    const { client, presenceAsked } = await setup();
    const channel = client.channel('room');
    const off = watch(channel);
    await channel.ready();
    expect(presenceAsked()).toEqual([true]);
    off();
    client.close();
  });

  it('a message handler alone does not', async () => {
    const { client, presenceAsked } = await setup();
    const channel = client.channel('room');
    const off = channel.subscribe(() => {});
    await channel.ready();
    expect(presenceAsked()).toEqual([false]);
    off();
    client.close();
  });
});
