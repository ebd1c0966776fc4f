/** Ably realtime protocol constants and wire shapes (JSON format), as ably-js 2.x speaks them. */

export const Action = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECT: 3,
  CONNECTED: 4,
  DISCONNECT: 5,
  DISCONNECTED: 6,
  CLOSE: 7,
  CLOSED: 8,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  DETACH: 12,
  DETACHED: 13,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
  AUTH: 17,
} as const;

export const Flag = {
  HAS_PRESENCE: 1 << 0,
  RESUMED: 1 << 2,
  PRESENCE: 1 << 16,
  PUBLISH: 1 << 17,
  SUBSCRIBE: 1 << 18,
  PRESENCE_SUBSCRIBE: 1 << 19,
} as const;

/** The four classic channel modes together. */
export const ALL_MODES = Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;

export const PresenceAction = { ABSENT: 0, PRESENT: 1, ENTER: 2, LEAVE: 3, UPDATE: 4 } as const;

/** An Ably `ErrorInfo` on the wire. */
export interface WireError {
  message: string;
  code: number;
  statusCode: number;
  href?: string;
}

export interface WireMessage {
  id?: string;
  name?: string;
  data?: unknown;
  encoding?: string;
  extras?: { ephemeral?: boolean; [key: string]: unknown };
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  serial?: string;
  action?: number;
}

export interface WirePresence {
  action: number;
  id?: string;
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  data?: unknown;
  encoding?: string;
}

export interface ProtocolMessage {
  action: number;
  id?: string;
  channel?: string;
  channelSerial?: string | null;
  connectionId?: string;
  connectionDetails?: Record<string, unknown>;
  msgSerial?: number;
  count?: number;
  error?: WireError;
  flags?: number;
  messages?: WireMessage[];
  presence?: WirePresence[];
  timestamp?: number;
  res?: Array<{ serials: string[] }>;
  auth?: { accessToken?: string };
}

/** Builds Ably-style errors: numeric code, HTTP status and a help link, as the real service does. */
export function wireError(code: number, statusCode: number, message: string): WireError {
  return { message, code, statusCode, href: `https://help.ably.io/error/${code}` };
}

/** Serials are zero-padded so that string order is publish order, as Ably documents for serials. */
export function formatSerial(n: number): string {
  return n.toString().padStart(12, '0');
}

/** Strips client-internal fields before a message is stored or relayed. */
export function cleanMessage(message: WireMessage & { size?: number }): WireMessage {
  const { size: _size, ...rest } = message;
  return rest;
}

/** Ably's message size: bytes of name, data (as sent), clientId and extras. */
export function messageSize(message: WireMessage): number {
  const bytes = (value: unknown) =>
    value === undefined || value === null
      ? 0
      : Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
  return (
    bytes(message.name) + bytes(message.data) + bytes(message.clientId) + bytes(message.extras)
  );
}
