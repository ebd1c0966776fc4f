import type { Channel, ChannelDefinition, EventMap, EventSchemas } from '@patchbay/realtime-core';
import { useEffect } from 'react';
import type { ChannelOf, ChannelRef } from './types.js';
import { useRealtime } from './useRealtime.js';

/** @internal The channel handle for a ref, without holding it. */
export function useChannelHandle<TRef extends ChannelRef>(ref: TRef): ChannelOf<TRef> {
  const client = useRealtime();
  // client.channel() returns the same handle for a name while something references it; the
  // calling hook's deps (or its hold) do while the component is mounted, so it is stable.
  return (typeof ref === 'string'
    ? client.channel(ref)
    : client.channel(ref as ChannelDefinition<string, EventSchemas>)) as unknown as ChannelOf<TRef>;
}

/**
 * The channel, kept attached while the component is mounted. Components on one channel share a
 * single provider subscription; the last one to unmount releases it.
 */
export function useChannel<TRef extends ChannelRef>(ref: TRef): ChannelOf<TRef> {
  const channel = useChannelHandle(ref);
  useEffect(() => (channel as unknown as Channel<EventMap, EventMap>).hold(), [channel]);
  return channel;
}
