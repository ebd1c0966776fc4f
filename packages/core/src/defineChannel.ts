import { validateChannelName } from './channelName.js';
import type { StandardSchemaV1 } from './standardSchema.js';

/** Event name → schema of its payload. */
export type EventSchemas = Record<string, StandardSchemaV1>;

/** Event name → payload type. Untyped channels use `Record<string, unknown>`. */
export type EventMap = Record<string, unknown>;

/** Payload types a publisher passes (schema input). */
export type InferPublishEvents<TSchemas extends EventSchemas> = {
  [TEvent in keyof TSchemas & string]: StandardSchemaV1.InferInput<TSchemas[TEvent]>;
};

/** Payload types handlers receive (schema output, after validation). */
export type InferReceiveEvents<TSchemas extends EventSchemas> = {
  [TEvent in keyof TSchemas & string]: StandardSchemaV1.InferOutput<TSchemas[TEvent]>;
};

/** Presence data members carry (schema output); `unknown` without a presence schema. */
export type InferPresence<TPresenceSchema> = TPresenceSchema extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<TPresenceSchema>
  : unknown;

/** Presence data `enter`/`update`/`hold` take (schema input); `unknown` without a presence schema. */
export type InferPresenceInput<TPresenceSchema> = TPresenceSchema extends StandardSchemaV1
  ? StandardSchemaV1.InferInput<TPresenceSchema>
  : unknown;

/**
 * A channel name bound to per-event schemas (and optionally a presence schema). Pass it to
 * `client.channel(definition)` to get a channel whose `publish`, handlers and presence data are
 * typed from the schemas and validated at runtime in both directions.
 */
export interface ChannelDefinition<
  TName extends string = string,
  TSchemas extends EventSchemas = EventSchemas,
  TPresenceSchema extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
> {
  readonly kind: 'patchbay.channel';
  readonly name: TName;
  readonly schemas: TSchemas;
  /** The schema of each member's presence data, when declared. */
  readonly presence: TPresenceSchema;
}

export interface ChannelDefinitionOptions<TPresenceSchema extends StandardSchemaV1 | undefined> {
  /** Validates presence data: what this client enters with, and what other members carry. */
  presence?: TPresenceSchema;
}

/**
 * Declare a channel and the schema of each event on it (any Standard Schema: zod, valibot, …),
 * and optionally of its presence data. The name is checked now, so a bad name fails at module
 * load rather than at first use.
 */
export function defineChannel<
  const TName extends string,
  TSchemas extends EventSchemas,
  TPresenceSchema extends StandardSchemaV1 | undefined = undefined,
>(
  name: TName,
  schemas: TSchemas,
  options?: ChannelDefinitionOptions<TPresenceSchema>,
): ChannelDefinition<TName, TSchemas, TPresenceSchema> {
  validateChannelName(name);
  return Object.freeze({
    kind: 'patchbay.channel',
    name,
    schemas,
    presence: options?.presence as TPresenceSchema,
  });
}

export function isChannelDefinition(value: unknown): value is ChannelDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'patchbay.channel'
  );
}
