import type {
  Channel,
  EventMap,
  PresenceHold,
  PresenceMember,
  StandardSchemaV1,
} from '@patchbay/realtime-core';
import { useEffect, useInsertionEffect, useMemo, useRef, useState } from 'react';
import { useOwnClientId } from './internal/useOwnClientId.js';
import type { ChannelRef, PresenceChannelDefinition, UntypedPresenceRef } from './types.js';
import { useChannelHandle } from './useChannel.js';
import { usePresenceListener } from './usePresenceListener.js';
import { useRealtime } from './useRealtime.js';

export interface UsePresenceResult<TData> {
  /** Everyone present, this client included: one entry per user (`clientId`), however many tabs. */
  members: readonly PresenceMember<TData>[];
  /**
   * This user's entry in `members`, matched by `clientId` (so it also reflects this user's other
   * tabs and their latest data); `undefined` until the presence is seen.
   */
  self: PresenceMember<TData> | undefined;
  /** Everyone else: `members` without this user's `clientId`. */
  others: readonly PresenceMember<TData>[];
  /** Why entering or updating failed (e.g. `AuthError`, `ValidationError`); cleared by the next success. */
  error: Error | undefined;
}

export interface UsePresenceOptions {
  /** Be present only while true (e.g. once the user is known). Default true. */
  enabled?: boolean;
}

/**
 * Be present on a channel while mounted, with `data` (typed and validated by the definition's
 * presence schema). Presence is shared per client and channel: several components holding it are
 * one member, who leaves when the last of them unmounts (or turns `enabled` off). A change of
 * channel or client moves the presence — the old one is left, the new one entered. When `data`
 * changes by value it is sent as an `update`; with several holders, members see the latest data
 * any of them set. A StrictMode remount does not leave and re-enter.
 */
export function usePresence<TPresenceSchema extends StandardSchemaV1>(
  ref: PresenceChannelDefinition<TPresenceSchema>,
  data: StandardSchemaV1.InferInput<TPresenceSchema>,
  options?: UsePresenceOptions,
): UsePresenceResult<StandardSchemaV1.InferOutput<TPresenceSchema>>;
/** Untyped presence (a channel name, or a definition without a presence schema): typed from `data`. */
export function usePresence<TData>(
  ref: UntypedPresenceRef,
  data: TData,
  options?: UsePresenceOptions,
): UsePresenceResult<TData>;
export function usePresence(
  ref: ChannelRef,
  data: unknown,
  options: UsePresenceOptions = {},
): UsePresenceResult<unknown> {
  const [error, setError] = useState<Error | undefined>(undefined);
  const client = useRealtime();
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const enabled = options.enabled ?? true;
  const serialized = stableKey(data);
  const latest = useRef({ data, serialized });
  // Before any effect below reads it, and never during render.
  useInsertionEffect(() => {
    latest.current = { data, serialized };
  });
  const held = useRef<{ hold: PresenceHold; sent: string } | undefined>(undefined);

  useEffect(() => {
    if (!enabled) return;
    const { data: initial, serialized: sent } = latest.current;
    const hold = channel.presence.hold(initial);
    const own = { hold, sent };
    held.current = own;
    // Rejects with e.g. `AuthError`, `ValidationError` or `NotSupportedError` (no presence).
    hold.ready.then(
      () => {
        if (held.current === own) setError(undefined);
      },
      (failure: unknown) => {
        if (held.current === own) setError(failure as Error);
      },
    );
    return () => {
      if (held.current === own) held.current = undefined;
      // Core leaves at the end of the task only if no other hold took over (StrictMode, siblings).
      hold.release();
    };
  }, [channel, enabled]);

  // `data` is compared by value through `serialized`: a new object with equal content is no update.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `serialized` stands for `data`
  useEffect(() => {
    const own = held.current;
    if (!own || own.sent === serialized) return;
    own.sent = serialized;
    own.hold.update(latest.current.data).then(
      () => {
        if (held.current === own) setError(undefined);
      },
      (failure: unknown) => {
        if (held.current === own) setError(failure as Error);
      },
    );
  }, [serialized, channel, enabled]);

  const members = usePresenceListener(ref as UntypedPresenceRef);
  const ownId = useOwnClientId(client);
  const split = useMemo(
    () => ({
      self: members.find((member) => member.clientId === ownId),
      others: members.filter((member) => member.clientId !== ownId),
    }),
    [members, ownId],
  );
  return { members, self: split.self, others: split.others, error };
}

function stableKey(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(Math.random());
  }
}
