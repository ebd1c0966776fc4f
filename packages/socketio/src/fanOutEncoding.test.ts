import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createHubServer, Hub, type HubServer } from '@patchbay/realtime-server';
import { socketIORoom } from '@patchbay/realtime-server/socketio';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterEach, expect, it, vi } from 'vitest';
import { socketioTransport } from './socketioTransport.js';

// The hub's Socket.IO endpoint delivers a live message with one broadcast to its channel's room
// (Socket.IO's public emit API), so socket.io encodes it once for every subscriber and its
// adapter — what Socket.IO's admin UI and adapters observe — sees the room and its members.

let server: HubServer | undefined;
let hub: Hub | undefined;
const clients: RealtimeClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  await hub?.close();
});

async function open(clientId: string, echo = true): Promise<RealtimeClient> {
  const client = createRealtime({
    transport: socketioTransport({ url: (server as HubServer).url, transports: ['websocket'] }),
    clientId,
    echo,
    connectivity: noConnectivitySignals,
  });
  clients.push(client);
  await client.connect();
  return client;
}

function spyOnBroadcasts(hubServer: HubServer) {
  const adapter = hubServer.socketio.io.of('/').adapter;
  const broadcast = vi.spyOn(adapter, 'broadcast');
  return {
    adapter,
    messages: () =>
      broadcast.mock.calls
        .filter(([packet]) => (packet.data as unknown[] | undefined)?.[0] === 'pb:message')
        .map(([, opts]) => opts),
  };
}

it('broadcasts each message once to the channel room, whose members are its subscribers', async () => {
  hub = new Hub({ rateLimit: false, allowAnonymous: true });
  server = await createHubServer({ hub, port: 0, host: '127.0.0.1' });
  const { adapter, messages } = spyOnBroadcasts(server);
  const received: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    const channel = (await open(`reader-${i}`)).channel('fan');
    channel.subscribe((message) => received.push(message.data));
    await channel.ready();
  }
  const writer = (await open('writer')).channel('fan');
  const release = writer.hold();
  await writer.ready();
  expect(adapter.rooms.get(socketIORoom('fan'))?.size).toBe(6);
  for (const n of [1, 2, 3]) await writer.publish('n', n);
  await waitFor('15 deliveries', () => received.length === 15);
  const sent = messages();
  expect(sent).toHaveLength(3);
  for (const opts of sent) {
    expect([...opts.rooms]).toEqual([socketIORoom('fan')]);
    expect(opts.flags?.local).toBe(true);
  }
  release();
  await waitFor(
    'the writer left the room',
    () => adapter.rooms.get(socketIORoom('fan'))?.size === 5,
  );
});

it('leaves a publisher with echo off out of its own broadcast by its socket id', async () => {
  hub = new Hub({ rateLimit: false, allowAnonymous: true });
  server = await createHubServer({ hub, port: 0, host: '127.0.0.1' });
  const { messages } = spyOnBroadcasts(server);
  const reader = (await open('reader')).channel('quiet');
  const readerGot: unknown[] = [];
  reader.subscribe((message) => readerGot.push(message.data));
  await reader.ready();
  const writerClient = await open('writer', false);
  const writer = writerClient.channel('quiet');
  const writerGot: unknown[] = [];
  writer.subscribe((message) => writerGot.push(message.data));
  await writer.ready();
  await writer.publish('n', 1);
  await writer.publish('n', 2);
  await waitFor('both messages at the reader', () => readerGot.length === 2);
  const writerSocket = [...(server as HubServer).socketio.io.of('/').sockets.values()].find(
    (socket) => socket.data.session?.clientId === 'writer',
  );
  expect(writerSocket).toBeDefined();
  for (const opts of messages()) expect([...(opts.except ?? [])]).toEqual([writerSocket?.id]);
  // A message published after the writer's own arrives, so the writer's would have too.
  await (await open('other')).channel('quiet').publish('n', 3);
  await waitFor('the third message at the reader', () => readerGot.length === 3);
  await waitFor('the third message at the writer', () => writerGot.length === 1);
  expect(writerGot).toEqual([3]);
});
