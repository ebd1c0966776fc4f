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

/**
 * A channel name bound to per-event schemas. Pass it to `client.channel(definition)` to get a
 * channel whose `publish` and handlers are typed from the schemas and validated at runtime in
 * both directions.
 */
export interface ChannelDefinition<
  TName extends string = string,
  TSchemas extends EventSchemas = EventSchemas,
> {
  readonly kind: 'patchbay.channel';
  readonly name: TName;
  readonly schemas: TSchemas;
}

/**
 * Declare a channel and the schema of each event on it (any Standard Schema: zod, valibot, …).
 * The name is checked now, so a bad name fails at module load rather than at first use.
 */
export function defineChannel<const TName extends string, TSchemas extends EventSchemas>(
  name: TName,
  schemas: TSchemas,
): ChannelDefinition<TName, TSchemas> {
  validateChannelName(name);
  return Object.freeze({ kind: 'patchbay.channel', name, schemas });
}

export function isChannelDefinition(value: unknown): value is ChannelDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'patchbay.channel'
  );
}
