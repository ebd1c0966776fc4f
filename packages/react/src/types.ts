import type {
  Channel,
  ChannelDefinition,
  EventMap,
  EventSchemas,
  InferPublishEvents,
  InferReceiveEvents,
} from '@patchbay/realtime-core';

/** A channel as hooks accept it: a name, or a `defineChannel()` definition for typed events. */
export type ChannelRef = string | ChannelDefinition<string, EventSchemas>;

/** Payload types a publisher passes on this channel. */
export type PublishEventsOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, infer TSchemas> ? InferPublishEvents<TSchemas> : EventMap;

/** Payload types handlers receive on this channel. */
export type ReceiveEventsOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, infer TSchemas> ? InferReceiveEvents<TSchemas> : EventMap;

export type ChannelOf<TRef extends ChannelRef> = Channel<
  PublishEventsOf<TRef>,
  ReceiveEventsOf<TRef>
>;
