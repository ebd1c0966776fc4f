import type { TransportMessage } from '@patchbay/realtime-core';

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
  const extras: Extras = ephemeral ? { ephemeral: true } : {};
  if (typeof data === 'string' || (typeof data === 'object' && data !== null)) {
    return ephemeral ? { data, extras } : { data };
  }
  return {
    data: JSON.stringify(data ?? null),
    extras: { ...extras, headers: { [JSON_HEADER]: '1' } },
  };
}

export function decodeData(data: unknown, extras: unknown): unknown {
  const headers = (extras as Extras | undefined)?.headers;
  if (headers?.[JSON_HEADER] && typeof data === 'string') return JSON.parse(data) as unknown;
  return data ?? null;
}

/** Presence data has no extras, so non-object values are wrapped in a marked object. */
const PRESENCE_KEY = '__patchbay_value';

export function encodePresence(data: unknown): unknown {
  if (
    typeof data === 'string' ||
    (typeof data === 'object' && data !== null && !(PRESENCE_KEY in data))
  ) {
    return data;
  }
  return { [PRESENCE_KEY]: data ?? null };
}

export function decodePresence(data: unknown): unknown {
  if (typeof data === 'object' && data !== null && PRESENCE_KEY in data) {
    return (data as Record<string, unknown>)[PRESENCE_KEY];
  }
  return data ?? null;
}

/** An Ably message as core's envelope. `seq` is the transport's per-channel cursor. */
export function toTransportMessage(
  channel: string,
  message: AblyWireMessage,
  seq?: number,
): TransportMessage {
  const ephemeral = (message.extras as Extras | undefined)?.ephemeral === true;
  return {
    channel,
    id: message.id ?? `${message.connectionId ?? 'rest'}:${message.timestamp ?? 0}`,
    event: message.name ?? '',
    data: decodeData(message.data, message.extras),
    ...(message.clientId ? { clientId: message.clientId } : {}),
    ...(message.connectionId ? { connectionId: message.connectionId } : {}),
    ...(message.timestamp !== undefined ? { timestamp: message.timestamp } : {}),
    ...(seq !== undefined ? { seq } : {}),
    ...(ephemeral ? { ephemeral: true } : {}),
  };
}
