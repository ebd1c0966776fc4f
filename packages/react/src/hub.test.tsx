import {
  createRealtime,
  defineChannel,
  ErrorCodes,
  noConnectivitySignals,
  type PresenceMember,
  type RealtimeClient,
  type RealtimeError,
} from '@patchbay/realtime-core';
import { createHubServer, type HubServer } from '@patchbay/realtime-server';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RealtimeProvider } from './RealtimeProvider.js';
import { useChannelState } from './useChannelState.js';
import { useConnectionState } from './useConnectionState.js';
import { useEvent } from './useEvent.js';
import { useMessages } from './useMessages.js';
import { usePresence } from './usePresence.js';
import { usePublish } from './usePublish.js';
import { useRealtime } from './useRealtime.js';
import { useTyping } from './useTyping.js';

let server: HubServer;
const clients: RealtimeClient[] = [];
beforeAll(async () => {
  server = await createHubServer({ port: 0, allowAnonymous: true, presenceGraceMs: 200 });
});
afterEach(() => cleanup());
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

/** What another client sees on a channel: the clientIds present, sorted. */
async function watchMembers(clientId: string, channel: string): Promise<() => string[]> {
  const watcher = hubClient(clientId);
  await watcher.connect();
  const presence = watcher.channel(channel).presence;
  presence.subscribe(() => {});
  return () =>
    presence
      .getSnapshot()
      .map((member) => member.clientId)
      .sort();
}

const ids = (members: readonly PresenceMember[]) =>
  members
    .map((member) => member.clientId)
    .sort()
    .join(',');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('presence that follows the component tree (hub over Socket.IO, StrictMode)', () => {
  function Member({ room, name }: { room: string; name: string }) {
    const { self, others } = usePresence(room, { name });
    return (
      <p data-testid="member">{`${room} self=${self?.clientId ?? '-'} others=${ids(others)}`}</p>
    );
  }

  it('moving to another room leaves the old one and enters the new one, as another client sees it', async () => {
    const alice = hubClient('move-alice');
    const inA = await watchMembers('move-watcher-a', 'move-room-a');
    const inB = await watchMembers('move-watcher-b', 'move-room-b');
    function App() {
      const [room, setRoom] = useState('move-room-a');
      return (
        <>
          <button type="button" onClick={() => setRoom('move-room-b')}>
            move
          </button>
          <button type="button" onClick={() => setRoom('move-room-a')}>
            back
          </button>
          <Member room={room} name="Alice" />
        </>
      );
    }
    render(
      <StrictMode>
        <RealtimeProvider client={alice}>
          <App />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(inA()).toEqual(['move-alice']));
    expect(inB()).toEqual([]);
    act(() => screen.getByText('move').click());
    await waitFor(() => expect(inB()).toEqual(['move-alice']));
    await waitFor(() => expect(inA()).toEqual([]));
    await waitFor(() =>
      expect(screen.getByTestId('member').textContent).toBe('move-room-b self=move-alice others='),
    );
    // And back again: present in the first room once more, gone from the second.
    act(() => screen.getByText('back').click());
    await waitFor(() => expect(inA()).toEqual(['move-alice']));
    await waitFor(() => expect(inB()).toEqual([]));
  });

  it('swapping the client (alice logs out, bob logs in) moves the presence to bob', async () => {
    const alice = hubClient('swap-alice');
    const bob = hubClient('swap-bob');
    const present = await watchMembers('swap-watcher', 'swap-room');
    const app = (client: RealtimeClient, name: string) => (
      <StrictMode>
        <RealtimeProvider client={client}>
          <Member room="swap-room" name={name} />
        </RealtimeProvider>
      </StrictMode>
    );
    const { rerender } = render(app(alice, 'Alice'));
    await waitFor(() => expect(present()).toEqual(['swap-alice']));
    rerender(app(bob, 'Bob'));
    await waitFor(() => expect(present()).toEqual(['swap-bob']));
    await waitFor(() =>
      expect(screen.getByTestId('member').textContent).toBe('swap-room self=swap-bob others='),
    );
  });

  it('two components present on one channel: unmounting one keeps the member, unmounting both leaves', async () => {
    const dana = hubClient('share-dana');
    const erin = hubClient('share-erin');
    await erin.connect();
    const present = await watchMembers('share-watcher', 'share-room');
    const seen: string[] = [];
    erin.channel('share-room').presence.onEvent((event) => {
      if (event.type !== 'sync') seen.push(`${event.type}:${event.member.clientId}`);
    });
    void erin.channel('share-room').presence.enter({ name: 'Erin' });
    function Avatar({ label }: { label: string }) {
      const { self, others } = usePresence('share-room', { name: 'Dana' });
      return <p data-testid={label}>{`${self?.clientId ?? '-'} with ${ids(others)}`}</p>;
    }
    function App() {
      const [shown, setShown] = useState({ header: true, sidebar: true });
      return (
        <>
          <button type="button" onClick={() => setShown((s) => ({ ...s, header: false }))}>
            hide header
          </button>
          <button type="button" onClick={() => setShown((s) => ({ ...s, sidebar: false }))}>
            hide sidebar
          </button>
          {shown.header && <Avatar label="header" />}
          {shown.sidebar && <Avatar label="sidebar" />}
        </>
      );
    }
    render(
      <StrictMode>
        <RealtimeProvider client={dana}>
          <App />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(present()).toEqual(['share-dana', 'share-erin']));
    await waitFor(() =>
      expect(screen.getByTestId('header').textContent).toBe('share-dana with share-erin'),
    );
    act(() => screen.getByText('hide header').click());
    await sleep(300); // longer than the hub's presence grace: a leave would have shown by now
    expect(present()).toEqual(['share-dana', 'share-erin']);
    expect(seen.filter((entry) => entry === 'leave:share-dana')).toEqual([]);
    expect(screen.getByTestId('sidebar').textContent).toBe('share-dana with share-erin');
    act(() => screen.getByText('hide sidebar').click());
    await waitFor(() => expect(present()).toEqual(['share-erin']));
    expect(seen.filter((entry) => entry.endsWith(':share-dana'))).toEqual([
      'enter:share-dana',
      'leave:share-dana',
    ]);
  });
});

describe('history, channel errors, config and several events (hub over Socket.IO, StrictMode)', () => {
  it('useMessages({ history }) shows the past messages then the live ones: none missing, none twice, in order', async () => {
    const feed = 'history-feed';
    for (let i = 0; i < 5; i++) await server.hub.publish(feed, 'note', i);
    const reader = hubClient('history-reader');
    function Feed() {
      const messages = useMessages(feed, { history: 50 });
      return <p data-testid="feed">{messages.map((m) => String(m.data)).join(',')}</p>;
    }
    render(
      <StrictMode>
        <RealtimeProvider client={reader}>
          <Feed />
        </RealtimeProvider>
      </StrictMode>,
    );
    // Keep publishing while the hook attaches and reads the history.
    for (let i = 5; i < 30; i++) {
      await server.hub.publish(feed, 'note', i);
      await sleep(2);
    }
    const all = Array.from({ length: 30 }, (_, i) => String(i)).join(',');
    await waitFor(() => expect(screen.getByTestId('feed').textContent).toBe(all));
    await sleep(50);
    expect(screen.getByTestId('feed').textContent).toBe(all);
  });

  it('an incoming payload that fails the schema shows in useChannelState and reaches onError', async () => {
    const notes = defineChannel('invalid-notes', { note: z.object({ text: z.string() }) });
    const client = hubClient('invalid-reader');
    const errors: RealtimeError[] = [];
    function Notes() {
      const messages = useMessages(notes, { event: 'note' });
      const { state, error } = useChannelState(notes);
      return (
        <>
          <p data-testid="state">{`${state}${error ? ` (${error.code})` : ''}`}</p>
          <p data-testid="notes">{messages.map((m) => m.data.text).join(',')}</p>
        </>
      );
    }
    render(
      <StrictMode>
        <RealtimeProvider client={client} onError={(error) => errors.push(error)}>
          <Notes />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('attached'));
    await server.hub.publish('invalid-notes', 'note', { text: 42 });
    await server.hub.publish('invalid-notes', 'note', { text: 'fine' });
    await waitFor(() => expect(screen.getByTestId('notes').textContent).toBe('fine'));
    expect(screen.getByTestId('state').textContent).toBe(
      `attached (${ErrorCodes.ValidationFailed})`,
    );
    expect(errors.map((error) => error.code)).toEqual([ErrorCodes.ValidationFailed]);
  });

  it('RealtimeProvider config renders the fallback, then the children on the configured provider, and closes its client on unmount', async () => {
    const present = await watchMembers('config-watcher', 'config-room');
    let made: RealtimeClient | undefined;
    function Room() {
      made = useRealtime();
      const { state } = useConnectionState();
      usePresence('config-room', { name: 'Gina' });
      return <p data-testid="room">{`${made.provider} ${state}`}</p>;
    }
    const view = render(
      <StrictMode>
        <RealtimeProvider
          config={{ provider: 'socketio', url: server.url, transports: ['websocket'] }}
          extras={{
            auth: () => 'config-gina',
            connectivity: noConnectivitySignals,
            loaders: { socketio: () => import('@patchbay/realtime-socketio') },
          }}
          fallback={<p>connecting…</p>}
        >
          <Room />
        </RealtimeProvider>
      </StrictMode>,
    );
    expect(screen.getByText('connecting…')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('room').textContent).toBe('socketio connected'));
    await waitFor(() => expect(present()).toEqual(['config-gina']));
    // One client for StrictMode's double mount: one link on the hub.
    expect(server.hub.sessions({ clientId: 'config-gina' })).toHaveLength(1);
    view.unmount();
    await waitFor(() => expect(made?.connection.getSnapshot().state).toBe('disconnected'));
    await waitFor(() => expect(present()).toEqual([]));
  });

  it('useEvent with a list hears those events; the all-events form hears every event', async () => {
    const client = hubClient('events-reader');
    function Log() {
      const [listed, setListed] = useState<string[]>([]);
      const [every, setEvery] = useState<string[]>([]);
      useEvent('events-room', ['joined', 'left'], (m) => setListed((s) => [...s, m.event]));
      useEvent('events-room', (m) => setEvery((s) => [...s, m.event]));
      return (
        <>
          <p data-testid="listed">{listed.join(',')}</p>
          <p data-testid="every">{every.join(',')}</p>
        </>
      );
    }
    render(
      <StrictMode>
        <RealtimeProvider client={client}>
          <Log />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() =>
      expect(client.channel('events-room').state.getSnapshot().state).toBe('attached'),
    );
    for (const event of ['joined', 'message', 'left']) {
      await server.hub.publish('events-room', event, {});
    }
    await waitFor(() =>
      expect(screen.getByTestId('every').textContent).toBe('joined,message,left'),
    );
    expect(screen.getByTestId('listed').textContent).toBe('joined,left');
  });
});
