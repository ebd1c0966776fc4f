import type { Channel, EventMap, MessageOf, RealtimeMessage } from '@patchbay/realtime-core';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { EMPTY, MessageBuffer } from './internal/messageBuffer.js';
import type { ChannelRef, ReceiveEventsOf } from './types.js';
import { useChannelHandle } from './useChannel.js';
import { useRealtime } from './useRealtime.js';

export interface UseMessagesOptions<TEvent extends string> {
  /** Only this event. Default: every event on the channel. */
  event?: TEvent;
  /** Keep at most this many, dropping the oldest. Default 100. */
  limit?: number;
  /**
   * On mount (and when the channel or event changes), load the channel's last `history`
   * messages with `channel.history()` and put them before the live ones: each id once, oldest
   * first, nothing lost while the history loads. With `event`, those of the last `history`
   * messages that are that event. Where the provider keeps no history (`capabilities.history`
   * false, e.g. Pusher) nothing is loaded: fetch past messages from your own API, and again on
   * the channel's `discontinuity`. Default 0.
   */
  history?: number;
}

/**
 * The messages received on a channel since mount (with `history`, also the last few from before),
 * newest last and bounded. Re-renders only when a matching message arrives, at most once per
 * macrotask however many arrive together.
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
  options?: { limit?: number; history?: number },
): readonly MessageOf<ReceiveEventsOf<TRef>>[];
export function useMessages(
  ref: ChannelRef,
  options: UseMessagesOptions<string> = {},
): readonly RealtimeMessage[] {
  const client = useRealtime();
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const { event, limit = 100 } = options;
  const history = client.capabilities.history ? (options.history ?? 0) : 0;
  const [buffer] = useState(() => new MessageBuffer(limit));
  buffer.limit = limit;
  const source = useRef<string | undefined>(undefined);
  useEffect(() => {
    const key = `${channel.name}\u0000${event ?? ''}`;
    if (source.current !== undefined && source.current !== key) buffer.clear();
    source.current = key;
    const push = (message: RealtimeMessage) => buffer.push(message);
    const off = event === undefined ? channel.subscribe(push) : channel.subscribe(event, push);
    if (history <= 0) return off;
    let active = true;
    // Read the history only once attached: what is published after the read arrives live, and
    // what arrives both ways is kept once, so there is neither a gap nor a duplicate.
    channel
      .ready()
      .then(() => (active ? channel.history({ limit: history }) : undefined))
      .then((past) => {
        if (!active || !past) return;
        buffer.backfill(event === undefined ? past : past.filter((m) => m.event === event));
      })
      // An attach failure shows in useChannelState; a failed read leaves the live messages.
      .catch(() => {});
    return () => {
      active = false;
      off();
    };
  }, [channel, event, buffer, history]);
  return useSyncExternalStore(buffer.subscribe, buffer.getSnapshot, () => EMPTY);
}
