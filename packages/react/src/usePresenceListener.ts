import type {
  Channel,
  EventMap,
  PresenceEvent,
  PresenceMember,
  StandardSchemaV1,
} from '@patchbay/realtime-core';
import { useEffect, useInsertionEffect, useRef, useSyncExternalStore } from 'react';
import type { ChannelRef, PresenceChannelDefinition, UntypedPresenceRef } from './types.js';
import { useChannelHandle } from './useChannel.js';

const NO_MEMBERS: readonly PresenceMember[] = Object.freeze([]);

/**
 * Who is on a channel (one entry per user, however many tabs), without entering it yourself.
 * `onEvent` receives `enter | update | leave | sync` and may change every render. Member data is
 * typed from the definition's presence schema (and was validated against it).
 */
export function usePresenceListener<TPresenceSchema extends StandardSchemaV1>(
  ref: PresenceChannelDefinition<TPresenceSchema>,
  onEvent?: (event: PresenceEvent<StandardSchemaV1.InferOutput<TPresenceSchema>>) => void,
): readonly PresenceMember<StandardSchemaV1.InferOutput<TPresenceSchema>>[];
/** Untyped presence: name the data type yourself (`usePresenceListener<Member>('lobby')`). */
export function usePresenceListener<TData = unknown>(
  ref: UntypedPresenceRef,
  onEvent?: (event: PresenceEvent<TData>) => void,
): readonly PresenceMember<TData>[];
export function usePresenceListener(
  ref: ChannelRef,
  onEvent?: (event: PresenceEvent) => void,
): readonly PresenceMember[] {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const latest = useRef(onEvent);
  useInsertionEffect(() => {
    latest.current = onEvent;
  });
  useEffect(
    () => channel.presence.onEvent((event) => latest.current?.(event as PresenceEvent)),
    [channel],
  );
  return useSyncExternalStore(
    channel.presence.subscribe,
    channel.presence.getSnapshot,
    () => NO_MEMBERS,
  ) as readonly PresenceMember[];
}
