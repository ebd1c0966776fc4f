import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createHubServer, Hub, type HubServer } from '@patchbay/realtime-server';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterEach, expect, it, vi } from 'vitest';
import { socketioTransport } from './socketioTransport.js';

// The hub's Socket.IO endpoint encodes a message once for all its subscribers, through
// socket.io's adapter encoder and `client.writeToEngine` (what `io.to(room).emit` uses). Those
// are socket.io internals: if an upgrade renames them, delivery silently falls back to one
// encode per socket (measured 0.62× raw fan-out). This pins the fast path to the installed
// socket.io.

let server: HubServer | undefined;
let hub: Hub | undefined;
const clients: RealtimeClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  await hub?.close();
});

it('encodes each message once for every subscriber, with the installed socket.io', async () => {
  hub = new Hub({ rateLimit: false });
  server = await createHubServer({ hub, port: 0, host: '127.0.0.1' });
  const adapter = server.socketio.io.of('/').adapter as unknown as {
    _encode(packet: { data?: unknown[] }, opts: unknown): unknown;
  };
  const encode = vi.spyOn(adapter, '_encode');
  const open = async (clientId: string) => {
    const client = createRealtime({
      transport: socketioTransport({ url: (server as HubServer).url, transports: ['websocket'] }),
      clientId,
      connectivity: noConnectivitySignals,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const received: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    const channel = (await open(`reader-${i}`)).channel('fan');
    channel.subscribe((message) => received.push(message.data));
    await channel.ready();
  }
  const writer = (await open('writer')).channel('fan');
  for (const n of [1, 2, 3]) await writer.publish('n', n);
  await waitFor('15 deliveries', () => received.length === 15);
  const messageEncodes = encode.mock.calls.filter(([packet]) => packet.data?.[0] === 'pb:message');
  expect(messageEncodes).toHaveLength(3);
});
