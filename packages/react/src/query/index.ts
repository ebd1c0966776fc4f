import type { Channel, EventMap, RealtimeMessage } from '@patchbay/realtime-core';
import { type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect, useInsertionEffect, useRef } from 'react';
import type { ChannelRef, ReceiveEventsOf } from '../types.js';
import { useChannelHandle } from '../useChannel.js';

type KeyFor<TMessage> = QueryKey | ((message: TMessage) => QueryKey);

/**
 * Invalidate TanStack Query caches when events arrive, so lists refetch from your API (the
 * source of truth). After a `discontinuity` — messages may have been missed — the same queries
 * are invalidated too.
 */
export function useInvalidateOnEvent<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
>(
  ref: TRef,
  events: TEvent | readonly TEvent[],
  queryKey: KeyFor<RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>>,
): void {
  const queryClient = useQueryClient();
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const key = useLatest(queryKey);
  const eventList = typeof events === 'string' ? [events] : events;
  const eventsKey = eventList.join('\u0000');
  useEffect(() => {
    const invalidate = (message?: RealtimeMessage) => {
      const current = key.current;
      if (typeof current === 'function') {
        if (message) void queryClient.invalidateQueries({ queryKey: current(message as never) });
        return;
      }
      void queryClient.invalidateQueries({ queryKey: current });
    };
    const offs = eventsKey.split('\u0000').map((event) => channel.subscribe(event, invalidate));
    offs.push(
      channel.on('discontinuity', () => {
        const current = key.current;
        // A key derived from a message has no message here: invalidate broadly is not possible,
        // so only a fixed key is refreshed after a gap.
        if (typeof current !== 'function')
          void queryClient.invalidateQueries({ queryKey: current });
      }),
    );
    return () => {
      for (const off of offs) off();
    };
  }, [channel, eventsKey, queryClient, key]);
}

/**
 * Patch a cached query in place when an event arrives (append a message to a list, bump a
 * counter) — no refetch. After a `discontinuity` the query is invalidated instead, because
 * patches may have been missed.
 */
export function usePatchOnEvent<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
  TData,
>(
  ref: TRef,
  event: TEvent,
  queryKey: QueryKey,
  patch: (
    current: TData | undefined,
    message: RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>,
  ) => TData,
): void {
  const queryClient = useQueryClient();
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const latestPatch = useLatest(patch);
  const latestKey = useLatest(queryKey);
  useEffect(() => {
    const off = channel.subscribe(event, (message) => {
      queryClient.setQueryData<TData>(latestKey.current, (current) =>
        latestPatch.current(
          current,
          message as RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>,
        ),
      );
    });
    const offGap = channel.on('discontinuity', () => {
      void queryClient.invalidateQueries({ queryKey: latestKey.current });
    });
    return () => {
      off();
      offGap();
    };
  }, [channel, event, queryClient, latestKey, latestPatch]);
}

function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}
