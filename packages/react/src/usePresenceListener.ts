import type { Channel, EventMap, PresenceEvent, PresenceMember } from '@patchbay/realtime-core';
import { useEffect, useInsertionEffect, useRef, useSyncExternalStore } from 'react';
import type { ChannelRef } from './types.js';
import { useChannelHandle } from './useChannel.js';

const NO_MEMBERS: readonly PresenceMember[] = Object.freeze([]);

/**
 * Who is on a channel (one entry per user, however many tabs), without entering it yourself.
 * `onEvent` receives `enter | update | leave | sync` and may change every render.
 */
export function usePresenceListener<TData = unknown>(
  ref: ChannelRef,
  onEvent?: (event: PresenceEvent<TData>) => void,
): readonly PresenceMember<TData>[] {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const latest = useRef(onEvent);
  useInsertionEffect(() => {
    latest.current = onEvent;
  });
  useEffect(
    () => channel.presence.onEvent((event) => latest.current?.(event as PresenceEvent<TData>)),
    [channel],
  );
  return useSyncExternalStore(
    channel.presence.subscribe,
    channel.presence.getSnapshot,
    () => NO_MEMBERS,
  ) as readonly PresenceMember<TData>[];
}
