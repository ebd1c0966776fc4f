import type { Channel, EventMap, PresenceMember } from '@patchbay/realtime-core';
import { useEffect, useRef, useState } from 'react';
import type { ChannelRef } from './types.js';
import { useChannelHandle } from './useChannel.js';
import { usePresenceListener } from './usePresenceListener.js';

export interface UsePresenceResult<TData> {
  /** Everyone present, this client included, one entry per user. */
  members: readonly PresenceMember<TData>[];
  /** Why entering, updating or leaving failed (e.g. `AuthError`); cleared by the next success. */
  error: Error | undefined;
}

export interface UsePresenceOptions {
  /** Enter only while true (e.g. once the user is known). Default true. */
  enabled?: boolean;
}

/**
 * Be present on a channel while mounted: enter with `data` on mount, `update` when `data`
 * changes (compared by value), leave on unmount. A StrictMode remount or a quick re-render does
 * not leave and re-enter.
 */
export function usePresence<TData>(
  ref: ChannelRef,
  data: TData,
  options: UsePresenceOptions = {},
): UsePresenceResult<TData> {
  const [error, setError] = useState<Error | undefined>(undefined);
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const enabled = options.enabled ?? true;
  const serialized = stableKey(data);
  const latest = useRef({ data, serialized });
  const presence = useRef<{ entered: string | undefined; cancelLeave: (() => void) | undefined }>({
    entered: undefined,
    cancelLeave: undefined,
  });

  useEffect(() => {
    if (!enabled) return;
    const own = presence.current;
    own.cancelLeave?.();
    own.cancelLeave = undefined;
    if (own.entered === undefined) {
      own.entered = latest.current.serialized;
      channel.presence.enter(latest.current.data).then(
        () => setError(undefined),
        (failure: unknown) => setError(failure as Error),
      );
    }
    return () => {
      // Leave at the end of the task unless the effect runs again first (StrictMode, deps).
      let cancelled = false;
      own.cancelLeave = () => {
        cancelled = true;
      };
      queueMicrotask(() => {
        if (cancelled) return;
        own.entered = undefined;
        own.cancelLeave = undefined;
        channel.presence.leave().then(
          () => setError(undefined),
          (failure: unknown) => setError(failure as Error),
        );
      });
    };
  }, [channel, enabled]);

  // `data` is compared by value through `serialized`: a new object with equal content is no update.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `serialized` stands for `data`
  useEffect(() => {
    latest.current = { data, serialized };
    const own = presence.current;
    if (!enabled || own.entered === undefined || own.entered === serialized) return;
    own.entered = serialized;
    channel.presence.update(data).then(
      () => setError(undefined),
      (failure: unknown) => setError(failure as Error),
    );
  }, [serialized, enabled, channel]);

  return { members: usePresenceListener<TData>(ref), error };
}

function stableKey(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(Math.random());
  }
}
