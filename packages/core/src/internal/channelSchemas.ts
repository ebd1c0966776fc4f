import { ErrorCodes } from '../codes.js';
import type { ChannelDefinition } from '../defineChannel.js';
import {
  ConfigError,
  MessageTooLargeError,
  productionMessage,
  ValidationError,
} from '../errors.js';
import type { Transport, TransportMessage } from '../transport/types.js';
import { jsonSize } from './publishChecks.js';
import { runSchema } from './validate.js';

/** An incoming message's data as its schema outputs it, or why it was dropped. */
export type IncomingOutcome = { ok: true; value: unknown } | { ok: false; error: ValidationError };

/** The `defineChannel()` definitions a client knows, by channel name. */
export type ChannelSchemas = Map<string, ChannelDefinition>;

// The checks the definitions drive: a payload going out (its event's schema, then JSON and the
// provider's size limit) and a message coming in (its event's schema).

/**
 * Know this definition. Another definition object with the very same schemas (e.g. made per
 * render from module-level schemas) validates the same: accepted; different ones are refused.
 */
export function registerSchemas(schemas: ChannelSchemas, definition: ChannelDefinition): void {
  const existing = schemas.get(definition.name);
  if (!existing) {
    schemas.set(definition.name, definition);
    return;
  }
  const keys = Object.keys(existing.schemas);
  if (
    existing.presence !== definition.presence ||
    keys.length !== Object.keys(definition.schemas).length ||
    keys.some((key) => existing.schemas[key] !== definition.schemas[key])
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `Two different defineChannel() definitions use the channel name "${definition.name}". ` +
            'Define each channel once (at module level, or once per name for dynamic channels) and import that definition everywhere.'
        : productionMessage(ErrorCodes.InvalidConfig, 'defineChannel', definition.name),
    );
  }
}

/**
 * The checks after the names, for a new publish and a message restored from storage alike:
 * the channel's schema (its output is what is sent), then JSON and size. Returns the data to
 * send: a promise of it when the channel has a schema (schemas may be async), else the data
 * itself, so a publish without a schema is queued (and stored) before `publish()` returns.
 */
export function prepareOutgoing(
  schemas: ChannelSchemas,
  transport: Transport,
  channel: string,
  event: string,
  data: unknown,
): unknown {
  const schema = schemas.get(channel)?.schemas;
  if (!schema) return sendable(transport, channel, event, data);
  const eventSchema = schema[event];
  if (!eventSchema) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? `"${event}" is not an event of this channel (known: ${Object.keys(schema).join(', ') || 'none'})`
            : 'unknown event',
      },
    ]);
  }
  return Promise.resolve(runSchema(eventSchema, data)).then((outcome) => {
    if (!outcome.ok) throw new ValidationError(channel, event, 'outgoing', outcome.issues);
    return sendable(transport, channel, event, outcome.value);
  });
}

function sendable(transport: Transport, channel: string, event: string, data: unknown): unknown {
  const { provider, capabilities } = transport;
  // `undefined` does not survive JSON or Socket.IO; send "no data" as null on every provider.
  const value = data === undefined ? null : data;
  const size = jsonSize(channel, event, value);
  if (size > capabilities.maxMessageBytes) {
    throw new MessageTooLargeError(provider, size, capabilities.maxMessageBytes);
  }
  return value;
}

/** An incoming message checked against its event's schema: at once unless the schema is async. */
export function checkIncoming(
  schemas: ChannelSchemas,
  message: TransportMessage,
): IncomingOutcome | Promise<IncomingOutcome> {
  const events = schemas.get(message.channel)?.schemas;
  if (!events) return { ok: true, value: message.data };
  const schema = events[message.event];
  if (!schema) {
    return {
      ok: false,
      error: new ValidationError(message.channel, message.event, 'incoming', [
        {
          path: '',
          message:
            process.env.NODE_ENV !== 'production'
              ? `"${message.event}" is not an event of this channel`
              : 'unknown event',
        },
      ]),
    };
  }
  const toResult = (outcome: Awaited<ReturnType<typeof runSchema>>): IncomingOutcome =>
    outcome.ok
      ? { ok: true, value: outcome.value }
      : {
          ok: false,
          error: new ValidationError(message.channel, message.event, 'incoming', outcome.issues),
        };
  const outcome = runSchema(schema, message.data);
  return outcome instanceof Promise ? outcome.then(toResult) : toResult(outcome);
}
