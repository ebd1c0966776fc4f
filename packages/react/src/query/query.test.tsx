import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeProvider } from '../RealtimeProvider.js';
import { createWorld, type TestWorld } from '../testUtils.js';
import { useInvalidateOnEvent, usePatchOnEvent } from './index.js';

let world: TestWorld;
afterEach(() => {
  cleanup();
  world?.close();
});

function setup() {
  world = createWorld();
  const client = world.client('query-user');
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children?: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <RealtimeProvider client={client}>{children}</RealtimeProvider>
    </QueryClientProvider>
  );
  return { client, queryClient, wrapper };
}

describe('TanStack Query helpers', () => {
  it('useInvalidateOnEvent marks the query stale when the event arrives', async () => {
    const { client, queryClient, wrapper } = setup();
    queryClient.setQueryData(['todos'], ['a']);
    renderHook(() => useInvalidateOnEvent('todos-feed', 'changed', ['todos']), { wrapper });
    await waitFor(() => expect(client.connection.getSnapshot().state).toBe('connected'));
    await client.channel('todos-feed').ready();
    expect(queryClient.getQueryState(['todos'])?.isInvalidated).toBe(false);
    act(() => world.hub.publish('todos-feed', 'changed', { id: 1 }));
    await waitFor(() => expect(queryClient.getQueryState(['todos'])?.isInvalidated).toBe(true));
  });

  it('usePatchOnEvent patches the cache in place, and invalidates after a discontinuity', async () => {
    const { client, queryClient, wrapper } = setup();
    queryClient.setQueryData<string[]>(['messages'], ['first']);
    renderHook(
      () =>
        usePatchOnEvent<'chat-feed', 'message', string[]>(
          'chat-feed',
          'message',
          ['messages'],
          (current, message) => [...(current ?? []), String(message.data)],
        ),
      { wrapper },
    );
    await waitFor(() => expect(client.connection.getSnapshot().state).toBe('connected'));
    await client.channel('chat-feed').ready();
    act(() => world.hub.publish('chat-feed', 'message', 'second'));
    await waitFor(() =>
      expect(queryClient.getQueryData(['messages'])).toEqual(['first', 'second']),
    );
    expect(queryClient.getQueryState(['messages'])?.isInvalidated).toBe(false);

    // History no longer covers the gap: the channel reports a discontinuity and the cache refetches.
    const { connectionId } = client.connection.getSnapshot();
    act(() => {
      world.hub.drop({ connectionId: connectionId as string });
      world.hub.publish('chat-feed', 'message', 'missed');
      world.hub.clearHistory('chat-feed');
    });
    await waitFor(() => expect(queryClient.getQueryState(['messages'])?.isInvalidated).toBe(true));
  });
});
