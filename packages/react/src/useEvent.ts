import type { Channel, EventMap, MessageOf, RealtimeMessage } from '@patchbay/realtime-core';
import { useEffect, useInsertionEffect, useRef } from 'react';
import type { ChannelRef, ReceiveEventsOf } from './types.js';
import { useChannelHandle } from './useChannel.js';

/** The message a handler of these events receives: a union discriminated by `event`. */
export type EventMessageOf<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
> = {
  [TName in TEvent]: RealtimeMessage<TName, ReceiveEventsOf<TRef>[TName]>;
}[TEvent];

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
): void;
/**
 * Run `handler` for each of several events; the message is a union narrowed by `message.event`.
 * The list is compared by content, so an inline array does not resubscribe on every render.
 */
export function useEvent<
  TRef extends ChannelRef,
  TEvent extends keyof ReceiveEventsOf<TRef> & string,
>(
  ref: TRef,
  events: readonly TEvent[],
  handler: (message: EventMessageOf<TRef, TEvent>) => void,
): void;
/** Run `handler` for every event on the channel. */
export function useEvent<TRef extends ChannelRef>(
  ref: TRef,
  handler: (message: MessageOf<ReceiveEventsOf<TRef>>) => void,
): void;
export function useEvent(
  ref: ChannelRef,
  events: string | readonly string[] | ((message: RealtimeMessage) => void),
  handler?: (message: RealtimeMessage) => void,
): void {
  const channel = useChannelHandle(ref) as unknown as Channel<EventMap, EventMap>;
  const all = typeof events === 'function';
  const latest = useRef(all ? events : (handler as (message: RealtimeMessage) => void));
  // Updated before any effect or event handler can run, and never during render.
  useInsertionEffect(() => {
    latest.current = all ? events : (handler as (message: RealtimeMessage) => void);
  });
  // One string stands for the event list (names cannot contain NUL), so deps compare by content.
  const key = all ? undefined : typeof events === 'string' ? events : events.join('\u0000');
  useEffect(() => {
    const deliver = (message: RealtimeMessage) => latest.current(message);
    if (key === undefined) return channel.subscribe(deliver);
    if (key === '') return; // an empty list: nothing to hear
    const offs = key.split('\u0000').map((event) => channel.subscribe(event, deliver));
    return () => {
      for (const off of offs) off();
    };
  }, [channel, key]);
}
