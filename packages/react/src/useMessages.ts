import type { Channel, EventMap, MessageOf, RealtimeMessage } from '@patchbay/realtime-core';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { EMPTY, MessageBuffer } from './internal/messageBuffer.js';
import type { ChannelRef, ReceiveEventsOf } from './types.js';
import { useChannelHandle } from './useChannel.js';

export interface UseMessagesOptions<TEvent extends string> {
  /** Only this event. Default: every event on the channel. */
  event?: TEvent;
  /** Keep at most this many, dropping the oldest. Default 100. */
  limit?: number;
}

/**
 * The messages received on a channel since mount, newest last and bounded. Re-renders only when
 * a matching message arrives, at most once per macrotask however many arrive together.
 */
export function useMessages<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
>(
  ref: TRef,
  options: UseMessagesOptions<TEvent> & { event: TEvent },
): readonly RealtimeMessage<TEvent, ReceiveEventsOf<TRef>[TEvent]>[];
export function useMessages<TRef extends ChannelRef>(
  ref: TRef,
  options?: { limit?: number },
): readonly MessageOf<ReceiveEventsOf<TRef>>[];
export function useMessages(
  ref: ChannelRef,
  options: UseMessagesOptions<string> = {},
): readonly RealtimeMessage[] {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const { event, limit = 100 } = options;
  const [buffer] = useState(() => new MessageBuffer(limit));
  buffer.limit = limit;
  const source = useRef<string | undefined>(undefined);
  useEffect(() => {
    const key = `${channel.name}\u0000${event ?? ''}`;
    if (source.current !== undefined && source.current !== key) buffer.clear();
    source.current = key;
    const push = (message: RealtimeMessage) => buffer.push(message);
    return event === undefined ? channel.subscribe(push) : channel.subscribe(event, push);
  }, [channel, event, buffer]);
  return useSyncExternalStore(buffer.subscribe, buffer.getSnapshot, () => EMPTY);
}
