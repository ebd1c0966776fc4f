import { ErrorCodes } from '../codes.js';
import type { ChannelDefinition } from '../defineChannel.js';
import {
  ConfigError,
  MessageTooLargeError,
  productionMessage,
  ValidationError,
} from '../errors.js';
import type { StandardSchemaV1 } from '../standardSchema.js';
import type { Transport, TransportMessage } from '../transport/types.js';
import { jsonSize } from './publishChecks.js';
import { runSchema } from './validate.js';

/** An incoming message's data as its schema outputs it, or why it was dropped. */
export type IncomingOutcome = { ok: true; value: unknown } | { ok: false; error: ValidationError };

/**
 * The `defineChannel()` definitions a client knows, by channel name, and the checks they drive:
 * a payload going out (its event's schema, then JSON and the provider's size limit), a message
 * coming in (its event's schema) and the presence schema channels read.
 */
export class ChannelSchemas {
  readonly #definitions = new Map<string, ChannelDefinition>();
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Know this definition. Another definition object with the very same schemas (e.g. made per
   * render from module-level schemas) validates the same: accepted; different ones are refused.
   */
  register(definition: ChannelDefinition): void {
    const existing = this.#definitions.get(definition.name);
    if (!existing) {
      this.#definitions.set(definition.name, definition);
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

  has(channel: string): boolean {
    return this.#definitions.has(channel);
  }

  presence(channel: string): StandardSchemaV1 | undefined {
    return this.#definitions.get(channel)?.presence;
  }

  /**
   * The checks after the names, for a new publish and a message restored from storage alike:
   * the channel's schema (its output is what is sent), then JSON and size. Returns the data to
   * send: a promise of it when the channel has a schema (schemas may be async), else the data
   * itself, so a publish without a schema is queued (and stored) before `publish()` returns.
   */
  prepare(channel: string, event: string, data: unknown): unknown {
    const schema = this.#definitions.get(channel)?.schemas;
    if (!schema) return this.#sendable(channel, event, data);
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
      return this.#sendable(channel, event, outcome.value);
    });
  }

  #sendable(channel: string, event: string, data: unknown): unknown {
    const { provider, capabilities } = this.#transport;
    // `undefined` does not survive JSON or Socket.IO; send "no data" as null on every provider.
    const value = data === undefined ? null : data;
    const size = jsonSize(channel, event, value);
    if (size > capabilities.maxMessageBytes) {
      throw new MessageTooLargeError(provider, size, capabilities.maxMessageBytes);
    }
    return value;
  }

  /** An incoming message checked against its event's schema: at once unless the schema is async. */
  incoming(message: TransportMessage): IncomingOutcome | Promise<IncomingOutcome> {
    const schemas = this.#definitions.get(message.channel)?.schemas;
    if (!schemas) return { ok: true, value: message.data };
    const schema = schemas[message.event];
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
}
