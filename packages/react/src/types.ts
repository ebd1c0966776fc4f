import type {
  Channel,
  ChannelDefinition,
  EventMap,
  EventSchemas,
  InferPresence,
  InferPresenceInput,
  InferPublishEvents,
  InferReceiveEvents,
  StandardSchemaV1,
} from '@patchbay/realtime-core';

/** A channel as hooks accept it: a name, or a `defineChannel()` definition for typed events. */
export type ChannelRef =
  | string
  | ChannelDefinition<string, EventSchemas, StandardSchemaV1 | undefined>;

/** A channel definition that declares a presence schema. */
export type PresenceChannelDefinition<TPresenceSchema extends StandardSchemaV1> = ChannelDefinition<
  string,
  EventSchemas,
  TPresenceSchema
>;

/** A channel whose presence data is not declared: a name, or a definition without `presence`. */
export type UntypedPresenceRef = string | ChannelDefinition<string, EventSchemas, undefined>;

/** Payload types a publisher passes on this channel. */
export type PublishEventsOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, infer TSchemas, StandardSchemaV1 | undefined>
    ? InferPublishEvents<TSchemas>
    : EventMap;

/** Payload types handlers receive on this channel. */
export type ReceiveEventsOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, infer TSchemas, StandardSchemaV1 | undefined>
    ? InferReceiveEvents<TSchemas>
    : EventMap;

/** Presence data members carry on this channel (the presence schema's output; else `unknown`). */
export type PresenceOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, EventSchemas, infer TPresenceSchema>
    ? InferPresence<TPresenceSchema>
    : unknown;

/** Presence data this client sets on this channel (the presence schema's input; else `unknown`). */
export type PresenceInputOf<TRef extends ChannelRef> =
  TRef extends ChannelDefinition<string, EventSchemas, infer TPresenceSchema>
    ? InferPresenceInput<TPresenceSchema>
    : unknown;

/** The `Channel` a ref stands for, with its event and presence types. */
export type ChannelOf<TRef extends ChannelRef> = Channel<
  PublishEventsOf<TRef>,
  ReceiveEventsOf<TRef>,
  PresenceOf<TRef>,
  PresenceInputOf<TRef>
>;
