import { defineChannel, type RealtimeClient } from '@patchbay/realtime-core';
import { memoryTransport } from '@patchbay/realtime-core/memory';
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { Profiler, StrictMode, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RealtimeProvider } from './RealtimeProvider.js';
import { countingTransport, createWorld, type TestWorld, withProvider } from './testUtils.js';
import { useChannel } from './useChannel.js';
import { useConnectionState, useQueueStatus } from './useConnectionState.js';
import { useEvent } from './useEvent.js';
import { useMessages } from './useMessages.js';
import { usePresence } from './usePresence.js';
import { usePresenceListener } from './usePresenceListener.js';
import { usePublish } from './usePublish.js';
import { useRealtime } from './useRealtime.js';
import { useTyping } from './useTyping.js';

let world: TestWorld;
afterEach(() => {
  cleanup();
  world?.close();
});

async function connected(clientId: string): Promise<RealtimeClient> {
  const client = world.client(clientId);
  await client.connect();
  return client;
}

describe('provider and connection state', () => {
  it('a hook outside <RealtimeProvider> throws an error that says how to fix it', () => {
    expect(() => renderHook(() => useRealtime())).toThrow(
      /wrap your tree in <RealtimeProvider client=\{…\}>/,
    );
  });

  it('the provider connects the client and useConnectionState follows it', async () => {
    world = createWorld();
    const client = world.client('alice');
    const { result } = renderHook(() => useConnectionState(), { wrapper: withProvider(client) });
    await waitFor(() => expect(result.current.state).toBe('connected'));
    expect(result.current.clientId).toBe('alice');
    act(() => client.close());
    expect(result.current.state).toBe('disconnected');
  });

  it('useQueueStatus shows publishes waiting for a connection', async () => {
    world = createWorld();
    const client = world.client('queuer');
    const { result } = renderHook(
      () => ({ queue: useQueueStatus(), publisher: usePublish('q-room') }),
      {
        wrapper: ({ children }) => (
          <RealtimeProvider client={client} autoConnect={false}>
            {children}
          </RealtimeProvider>
        ),
      },
    );
    act(() => {
      result.current.publisher.publish('note', 1);
      result.current.publisher.publish('note', 2);
    });
    await waitFor(() => expect(result.current.queue.size).toBe(2));
    expect(result.current.publisher.pending).toBe(2);
    await act(() => client.connect());
    await waitFor(() => expect(result.current.queue.size).toBe(0));
    expect(result.current.publisher.pending).toBe(0);
  });
});

describe('subscriptions', () => {
  it('StrictMode mount → unmount → mount makes one provider subscription', async () => {
    world = createWorld();
    const { transport, calls } = countingTransport(world.hub);
    const client = world.client('strict', { transport });
    // Already connected, so an eager release would reach the provider as unsubscribe + subscribe.
    await client.connect();
    function Room() {
      useChannel('strict-room');
      useEvent('strict-room', 'message', () => {});
      return null;
    }
    render(
      <StrictMode>
        <RealtimeProvider client={client}>
          <Room />
        </RealtimeProvider>
      </StrictMode>,
    );
    await client.channel('strict-room').ready();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.connect).toBe(1);
    expect(calls.subscribe).toBe(1);
    expect(calls.unsubscribe ?? 0).toBe(0);
  });

  it('StrictMode mount → unmount → mount enters presence once and never leaves', async () => {
    world = createWorld();
    const { transport, calls } = countingTransport(world.hub);
    const client = world.client('strict-member', { transport });
    await client.connect();
    // Attached already, so an eager leave + enter would reach the provider at once.
    client.channel('strict-lobby').hold();
    await client.channel('strict-lobby').ready();
    function Member() {
      usePresence('strict-lobby', { name: 'Strict' });
      return null;
    }
    render(
      <StrictMode>
        <RealtimeProvider client={client}>
          <Member />
        </RealtimeProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(world.hub.members('strict-lobby')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.presenceEnter).toBe(1);
    expect(calls.presenceLeave ?? 0).toBe(0);
  });

  it('two components on one channel share one subscription; unmounting one keeps the other live', async () => {
    world = createWorld();
    const client = await connected('sharer');
    function Feed({ label }: { label: string }) {
      const messages = useMessages('shared', { event: 'news' });
      return <p data-testid={label}>{messages.map((m) => String(m.data)).join(',')}</p>;
    }
    function App() {
      const [both, setBoth] = useState(true);
      return (
        <>
          <button type="button" onClick={() => setBoth(false)}>
            hide
          </button>
          <Feed label="a" />
          {both && <Feed label="b" />}
        </>
      );
    }
    render(<App />, { wrapper: withProvider(client) });
    await waitFor(() => expect(world.hub.subscriberCount('shared')).toBe(1));
    act(() => world.hub.publish('shared', 'news', 'one'));
    await waitFor(() => expect(screen.getByTestId('b').textContent).toBe('one'));
    act(() => screen.getByText('hide').click());
    act(() => world.hub.publish('shared', 'news', 'two'));
    await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('one,two'));
    expect(world.hub.subscriberCount('shared')).toBe(1);
  });

  it('useEvent keeps one subscription when the handler changes, and calls the latest handler', async () => {
    world = createWorld();
    const { transport, calls } = countingTransport(world.hub);
    const client = world.client('handler', { transport });
    await client.connect();
    const seen: string[] = [];
    const { rerender } = renderHook(
      ({ tag }: { tag: string }) =>
        useEvent('handlers', 'ping', (m) => seen.push(`${tag}:${String(m.data)}`)),
      { wrapper: withProvider(client), initialProps: { tag: 'first' } },
    );
    rerender({ tag: 'second' });
    rerender({ tag: 'third' });
    await client.channel('handlers').ready();
    act(() => world.hub.publish('handlers', 'ping', 1));
    await waitFor(() => expect(seen).toEqual(['third:1']));
    expect(calls.subscribe).toBe(1);
  });
});

describe('rendering', () => {
  it('a message on event A does not re-render a component that only listens to B', async () => {
    world = createWorld();
    const client = await connected('isolated');
    const renders = { a: 0, b: 0 };
    function OnlyA() {
      const messages = useMessages('iso', { event: 'a' });
      return <span>{messages.length}</span>;
    }
    function OnlyB() {
      const messages = useMessages('iso', { event: 'b' });
      return <span>{messages.length}</span>;
    }
    render(
      <>
        <Profiler id="a" onRender={() => renders.a++}>
          <OnlyA />
        </Profiler>
        <Profiler id="b" onRender={() => renders.b++}>
          <OnlyB />
        </Profiler>
      </>,
      { wrapper: withProvider(client) },
    );
    await client.channel('iso').ready();
    const before = { ...renders };
    for (let i = 0; i < 5; i++) {
      act(() => world.hub.publish('iso', 'a', i));
      await act(() => new Promise((resolve) => setTimeout(resolve, 5)));
    }
    expect(renders.a).toBeGreaterThan(before.a);
    expect(renders.b).toBe(before.b);
  });

  it('a burst of 1 000 messages is batched into a handful of renders, newest last, bounded', async () => {
    world = createWorld();
    const client = await connected('burst');
    let renders = 0;
    const shown: { last?: unknown; length?: number } = {};
    function Feed() {
      const messages = useMessages('burst', { limit: 500 });
      shown.last = messages.at(-1)?.data;
      shown.length = messages.length;
      return null;
    }
    render(
      <Profiler id="feed" onRender={() => renders++}>
        <Feed />
      </Profiler>,
      { wrapper: withProvider(client) },
    );
    await client.channel('burst').ready();
    const before = renders;
    act(() => {
      for (let i = 0; i < 1_000; i++) world.hub.publish('burst', 'n', i);
    });
    await waitFor(() => expect(shown.last).toBe(999));
    expect(shown.length).toBe(500);
    expect(renders - before).toBeLessThanOrEqual(5);
  });
});

describe('publish, presence and typing', () => {
  const chat = defineChannel('typed-chat', { message: z.object({ text: z.string().min(1) }) });

  it('usePublish reports the error of a publish that fails validation, and clears it on success', async () => {
    world = createWorld();
    const client = await connected('publisher');
    const { result } = renderHook(() => usePublish(chat), { wrapper: withProvider(client) });
    await act(async () => {
      result.current.publish('message', { text: '' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    expect(result.current.error?.message).toMatch(/text/);
    await act(() => result.current.publishAsync('message', { text: 'fine' }));
    expect(result.current.error).toBeUndefined();
    expect(result.current.pending).toBe(0);
  });

  it('usePresence enters with data, updates when data changes, and leaves on unmount', async () => {
    world = createWorld();
    const alice = await connected('alice');
    const bob = await connected('bob');
    const watcher = renderHook(() => usePresenceListener<{ status: string }>('lobby'), {
      wrapper: withProvider(bob),
    });
    const member = renderHook(
      ({ status }: { status: string }) => usePresence('lobby', { status }),
      {
        wrapper: withProvider(alice),
        initialProps: { status: 'online' },
      },
    );
    await waitFor(() =>
      expect(watcher.result.current.map((m) => m.data)).toEqual([{ status: 'online' }]),
    );
    member.rerender({ status: 'online' }); // same content: no update
    member.rerender({ status: 'away' });
    await waitFor(() =>
      expect(watcher.result.current.map((m) => m.data)).toEqual([{ status: 'away' }]),
    );
    member.unmount();
    await waitFor(() => expect(watcher.result.current).toEqual([]));
  });

  it('usePresence with enabled: false does not enter', async () => {
    world = createWorld();
    const client = await connected('shy');
    renderHook(() => usePresence('quiet-lobby', { hi: true }, { enabled: false }), {
      wrapper: withProvider(client),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(world.hub.members('quiet-lobby')).toEqual([]);
  });

  it('useTyping shows who else is typing', async () => {
    world = createWorld();
    const alice = await connected('t-alice');
    const bob = await connected('t-bob');
    const bobView = renderHook(() => useTyping('desk'), { wrapper: withProvider(bob) });
    const aliceView = renderHook(() => useTyping('desk'), { wrapper: withProvider(alice) });
    await Promise.all([bob.channel('desk').ready(), alice.channel('desk').ready()]);
    act(() => aliceView.result.current.start());
    await waitFor(() => expect(bobView.result.current.typing).toEqual(['t-alice']));
    expect(aliceView.result.current.typing).toEqual([]);
    act(() => aliceView.result.current.stop());
    await waitFor(() => expect(bobView.result.current.typing).toEqual([]));
  });
});

describe('history and several events', () => {
  it('useMessages({ history }): a message that arrives live while the history loads shows once, in order', async () => {
    world = createWorld();
    const transport = memoryTransport({ hub: world.hub });
    const read = (transport.history as NonNullable<typeof transport.history>).bind(transport);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    transport.history = async (channel, options) => {
      await gate;
      return read(channel, options);
    };
    const client = world.client('backfill', { transport });
    await client.connect();
    for (const text of ['one', 'two', 'three']) world.hub.publish('backfill', 'note', text);
    const { result } = renderHook(() => useMessages('backfill', { history: 10 }), {
      wrapper: ({ children }) => (
        <StrictMode>
          <RealtimeProvider client={client}>{children}</RealtimeProvider>
        </StrictMode>
      ),
    });
    await client.channel('backfill').ready();
    act(() => world.hub.publish('backfill', 'note', 'four')); // live, and in the history read below
    await waitFor(() => expect(result.current.map((m) => m.data)).toEqual(['four']));
    open();
    await waitFor(() =>
      expect(result.current.map((m) => m.data)).toEqual(['one', 'two', 'three', 'four']),
    );
    act(() => world.hub.publish('backfill', 'note', 'five'));
    await waitFor(() =>
      expect(result.current.map((m) => m.data)).toEqual(['one', 'two', 'three', 'four', 'five']),
    );
  });

  it('useMessages({ history, event }) keeps only that event from the history', async () => {
    world = createWorld();
    const client = await connected('filtered');
    world.hub.publish('mixed', 'note', 1);
    world.hub.publish('mixed', 'other', 2);
    world.hub.publish('mixed', 'note', 3);
    const { result } = renderHook(() => useMessages('mixed', { event: 'note', history: 10 }), {
      wrapper: withProvider(client),
    });
    await waitFor(() => expect(result.current.map((m) => m.data)).toEqual([1, 3]));
  });

  it('useMessages({ history }) on a provider without history loads nothing and shows live messages', async () => {
    world = createWorld();
    const transport = memoryTransport({ hub: world.hub, capabilities: { history: false } });
    const client = world.client('no-history', { transport });
    await client.connect();
    world.hub.publish('past', 'note', 'before');
    const { result } = renderHook(() => useMessages('past', { history: 10 }), {
      wrapper: withProvider(client),
    });
    await client.channel('past').ready();
    act(() => world.hub.publish('past', 'note', 'after'));
    await waitFor(() => expect(result.current.map((m) => m.data)).toEqual(['after']));
  });

  it('useEvent with an inline list makes one subscription across re-renders and hears only those events', async () => {
    world = createWorld();
    const { transport, calls } = countingTransport(world.hub);
    const client = world.client('lister', { transport });
    await client.connect();
    const seen: string[] = [];
    const { rerender } = renderHook(
      ({ tag }: { tag: string }) =>
        useEvent('listed', ['a', 'b'], (m) => seen.push(`${tag}:${m.event}`)),
      { wrapper: withProvider(client), initialProps: { tag: 'first' } },
    );
    rerender({ tag: 'second' });
    await client.channel('listed').ready();
    act(() => {
      for (const event of ['a', 'c', 'b']) world.hub.publish('listed', event, null);
    });
    await waitFor(() => expect(seen).toEqual(['second:a', 'second:b']));
    expect(calls.subscribe).toBe(1);
  });
});
