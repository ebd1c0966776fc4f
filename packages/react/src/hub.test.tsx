import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { createHubServer, type HubServer } from '@patchbay/realtime-server';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeProvider } from './RealtimeProvider.js';
import { useConnectionState } from './useConnectionState.js';
import { useMessages } from './useMessages.js';
import { usePresence } from './usePresence.js';
import { usePublish } from './usePublish.js';
import { useTyping } from './useTyping.js';

let server: HubServer;
const clients: RealtimeClient[] = [];
beforeAll(async () => {
  server = await createHubServer({ port: 0, presenceGraceMs: 200 });
});
afterAll(async () => {
  cleanup();
  for (const client of clients) client.close();
  await server.close();
});

function hubClient(clientId: string): RealtimeClient {
  const client = createRealtime({
    transport: socketioTransport({ url: server.url, transports: ['websocket'] }),
    auth: () => clientId,
    connectivity: noConnectivitySignals,
    reconnect: { baseDelayMs: 20, maxDelayMs: 200 },
  });
  clients.push(client);
  return client;
}

function ChatRoom({ name }: { name: string }) {
  const connection = useConnectionState();
  const messages = useMessages('hub-room', { event: 'message' });
  const { publish } = usePublish('hub-room');
  const { members } = usePresence('hub-room', { name });
  const { typing, start } = useTyping('hub-room');
  const [draft] = useState(`hello from ${name}`);
  return (
    <section data-testid={name}>
      <p data-testid={`${name}-state`}>{connection.state}</p>
      <p data-testid={`${name}-members`}>
        {members
          .map((m) => m.clientId)
          .sort()
          .join(',')}
      </p>
      <p data-testid={`${name}-typing`}>{typing.join(',')}</p>
      <ul>
        {messages.map((m) => (
          <li key={m.id}>{`${m.clientId}: ${String((m.data as { text: string }).text)}`}</li>
        ))}
      </ul>
      <button type="button" onClick={() => publish('message', { text: draft })}>
        send {name}
      </button>
      <button type="button" onClick={() => start()}>
        type {name}
      </button>
    </section>
  );
}

describe('hooks over a real transport (Socket.IO to the hub on 127.0.0.1)', () => {
  it('two users see each other’s messages, presence and typing', async () => {
    const alice = hubClient('alice');
    const bob = hubClient('bob');
    render(
      <>
        <RealtimeProvider client={alice}>
          <ChatRoom name="alice" />
        </RealtimeProvider>
        <RealtimeProvider client={bob}>
          <ChatRoom name="bob" />
        </RealtimeProvider>
      </>,
    );
    await waitFor(() => expect(screen.getByTestId('alice-state').textContent).toBe('connected'));
    await waitFor(() => expect(screen.getByTestId('bob-members').textContent).toBe('alice,bob'));
    await waitFor(() => expect(screen.getByTestId('alice-members').textContent).toBe('alice,bob'));

    act(() => screen.getByText('send alice').click());
    await waitFor(() =>
      expect(screen.getByTestId('bob').textContent).toContain('alice: hello from alice'),
    );

    act(() => screen.getByText('type bob').click());
    await waitFor(() => expect(screen.getByTestId('alice-typing').textContent).toBe('bob'));
    expect(screen.getByTestId('bob-typing').textContent).toBe('');

    // The hub drops Bob's link: the hooks show the reconnect, then carry on.
    for (const session of server.hub.sessions({ clientId: 'bob' })) session.link.terminate();
    await waitFor(() => expect(screen.getByTestId('bob-state').textContent).toBe('connected'));
    act(() => screen.getByText('send alice').click());
    await waitFor(() => expect(screen.getByTestId('bob').querySelectorAll('li')).toHaveLength(2));
  });
});
