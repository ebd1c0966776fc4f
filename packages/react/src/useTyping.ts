import type { Channel, EventMap } from '@patchbay/realtime-core';
import { useCallback, useSyncExternalStore } from 'react';
import type { ChannelRef } from './types.js';
import { useChannelHandle } from './useChannel.js';

const NOBODY: readonly string[] = Object.freeze([]);

export interface UseTypingResult {
  /** clientIds typing now, excluding this client. */
  typing: readonly string[];
  /** Call on every keystroke: throttled, and stops by itself after a few idle seconds. */
  start(): void;
  /** Call when the message is sent or the field is cleared. */
  stop(): void;
}

/** Typing indicators for a channel: who else is typing, and stable start/stop functions. */
export function useTyping(ref: ChannelRef): UseTypingResult {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const typing = useSyncExternalStore(
    channel.typing.subscribe,
    channel.typing.getSnapshot,
    () => NOBODY,
  );
  const start = useCallback(() => channel.typing.start(), [channel]);
  const stop = useCallback(() => channel.typing.stop(), [channel]);
  return { typing, start, stop };
}
