import type { Channel, EventMap, RealtimeMessage } from '@patchbay/realtime-core';
import { useEffect, useInsertionEffect, useRef } from 'react';
import type { ChannelRef, ReceiveEventsOf } from './types.js';
import { useChannelHandle } from './useChannel.js';

/**
 * Run `handler` for every `event` on the channel. The handler is kept in a ref: passing a new
 * function on each render never resubscribes, and the latest one always runs. Receiving does not
 * re-render the component; set state in the handler if you need to.
 */
export function useEvent<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
>(
  ref: TRef,
  event: TEvent,
  handler: (message: RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>) => void,
): void {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const latest = useRef(handler);
  // Updated before any effect or event handler can run, and never during render.
  useInsertionEffect(() => {
    latest.current = handler;
  });
  useEffect(
    () =>
      channel.subscribe(event, (message) =>
        latest.current(message as RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>),
      ),
    [channel, event],
  );
}
