import type { Channel, ChannelSnapshot, EventMap } from '@patchbay/realtime-core';
import { useStore } from './internal/useStore.js';
import type { ChannelRef } from './types.js';
import { useChannelHandle } from './useChannel.js';

const DETACHED: ChannelSnapshot = Object.freeze({ state: 'detached' });

/**
 * A channel's state (`detached | attaching | attached | failed`) and its last `error`: an attach
 * that was refused (`AuthError`), or an inbound message or presence update dropped because it
 * failed the channel's schema (the state stays `attached`). Reading it does not attach the
 * channel: use it beside `useChannel`, `useMessages` or `usePresence`. `detached` on the server.
 */
export function useChannelState(ref: ChannelRef): ChannelSnapshot {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  return useStore(channel.state, () => DETACHED);
}
