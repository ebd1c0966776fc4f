/** Ably realtime protocol constants and wire shapes (JSON format), as ably-js 2.x speaks them. */

import { z } from 'zod';

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

/**
 * A message's size as ably-js computes it before publishing (`getMessageSize`), so the emulator
 * refuses exactly what the SDK would let through against a server-advertised limit: UTF-8 bytes of
 * `data` (bytes of binary, which travels base64-encoded over JSON), plus the JavaScript string
 * length of `name`, `clientId` and JSON-stringified `extras`. Empty values count 0.
 */
export function messageSize(message: WireMessage): number {
  let size = 0;
  if (message.name) size += message.name.length;
  if (message.clientId) size += message.clientId.length;
  if (message.extras) size += JSON.stringify(message.extras).length;
  if (message.data) size += dataSize(message.data, message.encoding);
  return size;
}

/** What Ably says when a publish is over `maxMessageSize` (code 40009, HTTP 413), and the fix. */
export function tooLargeMessage(size: number, maxMessageSize: number): string {
  return `Maximum size of messages that can be published at once exceeded (was ${size} bytes, against a limit of ${maxMessageSize} bytes). Split the publish into smaller ones, or publish a reference to the data.`;
}

function dataSize(data: unknown, encoding: string | undefined): number {
  if (typeof data === 'string') {
    // Binary (and encrypted) data was measured as bytes before it was base64-encoded for JSON.
    const base64 = encoding?.split('/').at(-1) === 'base64';
    return Buffer.byteLength(data, base64 ? 'base64' : 'utf8');
  }
  if (typeof data === 'number') return 8;
  if (typeof data === 'boolean') return 1;
  // Not something ably-js sends over JSON (it stringifies objects), but a raw client might.
  return Buffer.byteLength(JSON.stringify(data) ?? '');
}

const inboundMessage = z
  .object({
    id: z.string().optional(),
    name: z.string().optional(),
    encoding: z.string().optional(),
    clientId: z.string().optional(),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
const inboundPresence = z
  .object({
    action: z.number().int(),
    encoding: z.string().optional(),
    clientId: z.string().optional(),
  })
  .passthrough();
const inboundProtocolMessage = z
  .object({
    action: z.number().int().nonnegative(),
    id: z.string().optional(),
    channel: z.string().min(1).optional(),
    channelSerial: z.string().nullable().optional(),
    msgSerial: z.number().int().nonnegative().optional(),
    flags: z.number().int().optional(),
    messages: z.array(inboundMessage).optional(),
    presence: z.array(inboundPresence).optional(),
    auth: z.object({ accessToken: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
/** Actions that only make sense on a channel. */
const CHANNEL_ACTIONS = new Set<number>([
  Action.ATTACH,
  Action.DETACH,
  Action.PRESENCE,
  Action.MESSAGE,
  Action.SYNC,
]);

/**
 * Why an inbound protocol message cannot be handled (wrong types, missing channel), or undefined
 * when it is well formed. Unknown actions are well formed: they are ignored, as Ably ignores them.
 */
export function protocolMessageProblem(value: unknown): string | undefined {
  const parsed = inboundProtocolMessage.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join('.') || 'message'}: ${issue.message}`)
      .join('; ');
    return `Invalid protocol message (${issues}).`;
  }
  if (CHANNEL_ACTIONS.has(parsed.data.action) && parsed.data.channel === undefined) {
    return `Invalid protocol message: action ${parsed.data.action} needs a "channel".`;
  }
  return undefined;
}

/** Why a REST publish body cannot be published, or undefined when every message is well formed. */
export function restMessagesProblem(value: unknown): string | undefined {
  const parsed = z.array(inboundMessage).safeParse(Array.isArray(value) ? value : [value]);
  if (parsed.success) return undefined;
  const issues = parsed.error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
  return `Invalid message (${issues}): send a message object or an array of them.`;
}
