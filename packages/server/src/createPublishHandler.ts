import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, InvalidChannelNameError, validateChannelName } from '@patchbay/realtime-core';
import { z } from 'zod';
import type { WireError } from './frames.js';
import type { Hub } from './hub.js';
import { readBodyCapped } from './internal/readBodyCapped.js';
import type { FetchHandler } from './sse/createSseHandler.js';

/** Where `createHubServer` serves the server-to-hub publish endpoint. */
export const DEFAULT_PUBLISH_PATH = '/patchbay/publish';

export interface PublishHandlerOptions {
  /**
   * The shared secret app servers send as `Authorization: Bearer <secret>`. Without one the
   * endpoint is off and answers 404 saying how to turn it on: publishing from outside the hub
   * process is opt-in.
   */
  secret: string | undefined;
}

/** What `POST /patchbay/publish` accepts. */
export interface PublishRequestBody {
  channel: string;
  event: string;
  data?: unknown;
  /** Idempotency key: a retry with the same id is answered with the stored message, not re-sent. */
  id?: string;
  /** Who the message is from, as receivers see it (`message.clientId`). */
  clientId?: string;
}

/** The 200 reply: the stored message's id, per-channel sequence number and timestamp. */
export interface PublishReply {
  id: string;
  seq: number;
  timestamp: number;
}

/** Event names clients may not use: core's typing and presence signals travel under it. */
const RESERVED_EVENT_PREFIX = 'patchbay:';

/** Bytes the body may hold beyond the message itself (channel, id, clientId, JSON punctuation). */
const ENVELOPE_ALLOWANCE = 1024;

const body = z
  .object({
    channel: z.string(),
    event: z.string(),
    data: z.unknown().optional(),
    id: z.string().min(1).max(200).optional(),
    clientId: z.string().min(1).max(200).optional(),
  })
  .strict();

/**
 * The hub's publish endpoint for app servers in other processes (a server action after a
 * database commit, a worker): `POST` a JSON `{ channel, event, data, id?, clientId? }` with
 * `Authorization: Bearer <secret>`; the message is stored, sequenced and delivered exactly like
 * `hub.publish()`, and the reply is `{ id, seq, timestamp }`. Refusals are
 * `{ error: { code, message } }` with 400 (invalid input), 401 (secret missing or wrong), 404
 * (no secret configured), 405, 413 (over `maxMessageBytes`) or 503 (the broker failed; retry).
 *
 * A web-standard handler: `createHubServer({ publishSecret })` serves it at
 * `/patchbay/publish`; a Next.js route handler can export it as `POST`.
 */
export function createPublishHandler(hub: Hub, options: PublishHandlerOptions): FetchHandler {
  const expected =
    options.secret !== undefined && options.secret.length > 0 ? digest(options.secret) : undefined;
  const maxBodyBytes = hub.maxMessageBytes + ENVELOPE_ALLOWANCE;

  return async (request) => {
    if (!expected) {
      return refuse(
        404,
        ErrorCodes.NotSupported,
        'The publish endpoint is off because this hub has no publish secret. Start the hub with --publish-secret <secret> (or the PATCHBAY_PUBLISH_SECRET environment variable), or pass publishSecret to createHubServer().',
      );
    }
    if (request.method !== 'POST') {
      return refuse(
        405,
        ErrorCodes.InvalidFrame,
        'Send publishes with POST and a JSON body { channel, event, data, id?, clientId? }.',
      );
    }
    const token = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (token === undefined) {
      return refuse(
        401,
        ErrorCodes.AuthRejected,
        'Missing credentials: send the hub’s publish secret as "Authorization: Bearer <secret>".',
      );
    }
    // Both sides hashed to one length, so the comparison takes the same time whatever is sent.
    if (!timingSafeEqual(digest(token), expected)) {
      return refuse(
        401,
        ErrorCodes.AuthRejected,
        'The publish secret does not match this hub’s. Use the value the hub was started with (--publish-secret or PATCHBAY_PUBLISH_SECRET).',
      );
    }
    const text = await readBodyCapped(request, maxBodyBytes);
    if (text === undefined) {
      return refuse(
        413,
        ErrorCodes.MessageTooLarge,
        `The request body is larger than this hub accepts (${hub.maxMessageBytes} bytes per message). Send a reference (an id or URL) and fetch large data separately.`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return refuse(
        400,
        ErrorCodes.InvalidFrame,
        'The request body is not valid JSON. Send { "channel": …, "event": …, "data": … } with content-type application/json.',
      );
    }
    const parsed = body.safeParse(json, { reportInput: true });
    if (!parsed.success) return refuse(400, ErrorCodes.InvalidFrame, describeBody(parsed.error));
    const message = parsed.data;
    try {
      validateChannelName(message.channel);
    } catch (error) {
      if (error instanceof InvalidChannelNameError)
        return refuse(400, ErrorCodes.InvalidChannelName, error.message);
      throw error;
    }
    const eventProblem = checkEvent(message.event);
    if (eventProblem) return refuse(400, ErrorCodes.ValidationFailed, eventProblem);
    const size = Buffer.byteLength(
      JSON.stringify({ event: message.event, data: message.data ?? null }),
    );
    if (size > hub.maxMessageBytes) {
      return refuse(
        413,
        ErrorCodes.MessageTooLarge,
        `This message is ${size} bytes; the hub accepts at most ${hub.maxMessageBytes}. Send a reference (an id or URL) and fetch large data separately.`,
      );
    }
    let stored: PublishReply;
    try {
      stored = await hub.publish(message.channel, message.event, message.data, {
        ...(message.id !== undefined ? { id: message.id } : {}),
        ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
      });
    } catch (error) {
      return refuse(
        503,
        ErrorCodes.TransportError,
        `The hub could not store the message (${error instanceof Error ? error.message : String(error)}). Retry with the same id; it is delivered once.`,
        true,
      );
    }
    return Response.json({ id: stored.id, seq: stored.seq, timestamp: stored.timestamp });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function checkEvent(event: string): string | undefined {
  if (event.length === 0 || event.length > 200)
    return '"event" must be a non-empty string of at most 200 characters.';
  if (event.startsWith(RESERVED_EVENT_PREFIX))
    return `"event" must not start with "${RESERVED_EVENT_PREFIX}": those names carry Patchbay's own signals. Rename the event.`;
  return undefined;
}

/** `"channel" is required; unknown field(s) "foo"` — what to change in the body. */
function describeBody(error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    const field = issue.path.map(String).join('.');
    if (!field) return 'the body must be a JSON object';
    if (issue.code === 'invalid_type' && issue.input === undefined) return `"${field}" is required`;
    return `"${field}": ${issue.message}`;
  });
  return `Invalid publish body: ${problems.join('; ')}. Send { channel, event, data, id?, clientId? }.`;
}

function refuse(status: number, code: string, message: string, retryable = false): Response {
  const error: WireError = { code, message, ...(retryable ? { retryable } : {}) };
  return Response.json({ error }, { status });
}
