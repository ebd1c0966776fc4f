import type { TransportMessage } from '@patchbay/realtime-core/transport';

/**
 * Ably carries strings, JSON objects/arrays and binary, but not numbers, booleans or null.
 * Patchbay payloads can be any JSON value, so those travel as a JSON string marked with a header
 * in `extras.headers` (which Ably relays untouched); every other value is sent natively, so
 * non-Patchbay Ably clients on the same channel see ordinary messages.
 */
export const JSON_HEADER = 'x-patchbay-json';

export interface AblyWireMessage {
  id?: string;
  name?: string;
  data?: unknown;
  extras?: unknown;
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  serial?: string;
}

interface Extras {
  ephemeral?: boolean;
  headers?: Record<string, string>;
}

/** A payload as Ably accepts it, with the extras that mark how to read it back. */
export function encodeData(data: unknown, ephemeral = false): { data: unknown; extras?: Extras } {
  const native = typeof data === 'string' || (typeof data === 'object' && data !== null);
  const encoded: { data: unknown; extras?: Extras } = {
    data: native ? data : JSON.stringify(data ?? null),
  };
  if (ephemeral || !native) {
    const extras: Extras = {};
    encoded.extras = extras;
    if (ephemeral) extras.ephemeral = true;
    if (!native) extras.headers = { [JSON_HEADER]: '1' };
  }
  return encoded;
}

/** Presence data has no extras, so non-object values are wrapped in a marked object. */
const PRESENCE_KEY = '__patchbay_value';

const isObject = (data: unknown): data is object => typeof data === 'object' && data !== null;

export function encodePresence(data: unknown): unknown {
  return typeof data === 'string' || (isObject(data) && !(PRESENCE_KEY in data))
    ? data
    : { [PRESENCE_KEY]: data ?? null };
}

export function decodePresence(data: unknown): unknown {
  return isObject(data) && PRESENCE_KEY in data
    ? (data as Record<string, unknown>)[PRESENCE_KEY]
    : (data ?? null);
}

/** Whether an Ably message was published as ephemeral (typing, emulated signals). */
export const isEphemeral = (message: AblyWireMessage): boolean =>
  (message.extras as Extras | undefined)?.ephemeral === true;

/**
 * An Ably message as core's envelope, built in one object (this runs for every message).
 * `seq` is the transport's per-channel cursor.
 */
export function toTransportMessage(
  channel: string,
  message: AblyWireMessage,
  seq?: number,
): TransportMessage {
  const { id, clientId, connectionId, timestamp, data } = message;
  const out: TransportMessage = {
    channel,
    id: id ?? `${connectionId ?? 'rest'}:${timestamp ?? 0}`,
    event: message.name ?? '',
    data:
      typeof data === 'string' && (message.extras as Extras | undefined)?.headers?.[JSON_HEADER]
        ? (JSON.parse(data) as unknown)
        : (data ?? null),
  };
  if (clientId) out.clientId = clientId;
  if (connectionId) out.connectionId = connectionId;
  if (timestamp !== undefined) out.timestamp = timestamp;
  if (seq !== undefined) out.seq = seq;
  if (isEphemeral(message)) out.ephemeral = true;
  return out;
}
