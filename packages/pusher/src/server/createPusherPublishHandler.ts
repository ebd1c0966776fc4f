import type Pusher from 'pusher';
import {
  allow,
  HttpProblem,
  identify,
  json,
  type PusherAuthenticate,
  type PusherAuthorize,
  problemResponse,
  requirePortable,
  requirePost,
} from '../internal/serverHttp.js';
import { publishFromServer } from './publishFromServer.js';

export interface PusherPublishHandlerOptions {
  /** A `pusher` SDK instance with your app's credentials. */
  pusher: Pick<Pusher, 'trigger'>;
  /**
   * Turn the client's token (`Authorization: Bearer …`) into an identity, or `null` to refuse.
   * It runs before the body is read, so a refused caller cannot make the server read a large body.
   */
  authenticate: PusherAuthenticate;
  /** Per-channel permission (`publish`). Default: allow. */
  authorize?: PusherAuthorize;
  /**
   * Largest `data` accepted, in bytes of JSON. Default 9 216 (Pusher's 10 KB minus the envelope).
   * The request body may be at most 3 × this + 8 KiB; a longer body is refused (413) unread.
   */
  maxDataBytes?: number;
}

interface PublishBody {
  channel?: unknown;
  event?: unknown;
  data?: unknown;
  id?: unknown;
  socketId?: unknown;
}

/** Deepest nesting accepted in `data`, as in `@patchbay/realtime-server`: far beyond real payloads. */
const MAX_DATA_DEPTH = 1_000;
/**
 * Room for the fields around `data`: channel (≤ 164), event and id (≤ 200 characters each, up to
 * 6 bytes a character once JSON-escaped), socketId and the keys come to under 3 KB.
 */
const ENVELOPE_BYTES = 8_192;

/**
 * The endpoint `pusherTransport({ publishEndpoint })` posts to. It authenticates the caller,
 * checks `authorize`, and triggers through the `pusher` SDK, so a publish resolves only once Pusher
 * accepted it (a real ack), carries the caller's authenticated clientId, and a refusal comes back
 * to the publisher as a typed error. Answers `200 { id, timestamp }`, or a 4xx JSON error.
 *
 * The caller is authenticated before the body is read, and the body is read with a byte cap and a
 * nesting limit, so neither an anonymous caller nor an oversized or deeply nested body costs more
 * than one request chunk past the cap (see `readBody`).
 */
export function createPusherPublishHandler(
  options: PusherPublishHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBytes = options.maxDataBytes ?? 9_216;
  // pusherTransport sends one message per request as compact JSON, so `data` takes as many bytes
  // in the body as it is measured in below. ×3 keeps a client that \u-escapes all non-ASCII text
  // (Python's json.dumps default) within the cap: that triples a string's bytes at most.
  const maxBodyBytes = maxBytes * 3 + ENVELOPE_BYTES;
  return async (request) => {
    try {
      requirePost(request);
      const identity = await identify(options.authenticate, request);
      const text = await readBody(request, maxBodyBytes, maxBytes);
      let body: PublishBody;
      try {
        body = JSON.parse(text) as PublishBody;
      } catch {
        throw new HttpProblem(
          400,
          'bad_request',
          'The body must be JSON: { channel, event, data, id }.',
        );
      }
      if (typeof body !== 'object' || body === null) {
        throw new HttpProblem(
          400,
          'bad_request',
          'The body must be a JSON object: { channel, event, data, id }.',
        );
      }
      const channel = requirePortable(body.channel, 'channel');
      if (typeof body.event !== 'string' || body.event.length === 0 || body.event.length > 200) {
        throw new HttpProblem(400, 'bad_request', '"event" must be a string of 1–200 characters.');
      }
      if (
        body.id !== undefined &&
        (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 200)
      ) {
        throw new HttpProblem(
          400,
          'bad_request',
          '"id" must be a string of 1–200 characters when given.',
        );
      }
      if (
        body.socketId !== undefined &&
        (typeof body.socketId !== 'string' || !/^\d+\.\d+$/.test(body.socketId))
      ) {
        throw new HttpProblem(
          400,
          'bad_request',
          '"socketId" must look like "123.456" when given.',
        );
      }
      const size = new TextEncoder().encode(JSON.stringify(body.data ?? null)).length;
      if (size > maxBytes) {
        throw new HttpProblem(
          413,
          'too_large',
          `"data" is ${size} bytes; Pusher accepts at most ${maxBytes}. Send a reference instead.`,
        );
      }
      await allow(options.authorize, {
        userId: identity.userId,
        channel,
        action: 'publish',
        request,
      });
      try {
        const envelope = await publishFromServer(options.pusher, {
          channel,
          event: body.event,
          data: body.data ?? null,
          clientId: identity.userId,
          ...(typeof body.id === 'string' ? { id: body.id } : {}),
          ...(typeof body.socketId === 'string' ? { excludeSocketId: body.socketId } : {}),
        });
        return json(200, { id: envelope.id, timestamp: envelope.timestamp });
      } catch (error) {
        const status = (error as { status?: number }).status;
        throw new HttpProblem(
          502,
          'provider_rejected',
          `Pusher refused the trigger${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}. Check the pusher SDK credentials and host.`,
        );
      }
    } catch (error) {
      return problemResponse(error);
    }
  };
}

/**
 * The body as text, refused when it passes `maxBodyBytes` (413) or nests deeper than `data` may
 * (400). The count is not taken from Content-Length alone, which a client may omit (chunked), and
 * a too-deep body is a 400 whatever its length, because nesting shows in its first bytes.
 *
 * A body whose declared Content-Length is within the cap is read whole and checked after: the
 * server's HTTP framing ends it at that length, so it cannot cost more than the cap, and a
 * whole-body read is the host's fast path. Reading `request.body` instead made
 * `@hono/node-server` build a full undici `Request` and web streams for every publish: ~110 µs
 * more server time per publish than the raw app server in `pnpm bench` (pusher), whose
 * throughput went from 0.81× to 0.91× raw with this path. Any other body (no length, or a longer
 * one) is streamed and checked as it arrives, so it is refused without reading the rest.
 */
async function readBody(request: Request, maxBodyBytes: number, maxBytes: number): Promise<string> {
  const length = request.headers.get('content-length');
  if (length !== null && /^\d{1,15}$/.test(length) && Number(length) <= maxBodyBytes) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await request.arrayBuffer());
    } catch (error) {
      throw unreadable(error);
    }
    // The body object is one level around `data`.
    if (!depthGuard(MAX_DATA_DEPTH + 1)(bytes)) throw tooDeep();
    // Only a host that does not hold a body to its Content-Length gets here with more.
    if (bytes.byteLength > maxBodyBytes) throw tooLarge(maxBodyBytes, maxBytes);
    return new TextDecoder().decode(bytes);
  }
  return readBodyStream(request, maxBodyBytes, maxBytes);
}

/** `readBody` for a body of unknown or excessive length: checked chunk by chunk as it streams. */
async function readBodyStream(
  request: Request,
  maxBodyBytes: number,
  maxBytes: number,
): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const withinDepth = depthGuard(MAX_DATA_DEPTH + 1);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw unreadable(error);
      }
      if (next.done) break;
      if (!withinDepth(next.value)) throw tooDeep();
      total += next.value.byteLength;
      if (total > maxBodyBytes) throw tooLarge(maxBodyBytes, maxBytes);
      chunks.push(next.value);
    }
  } catch (error) {
    // Not awaited: the answer must not wait on how the host tears the upload down.
    reader.cancel().catch(() => {});
    throw error;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function unreadable(error: unknown): HttpProblem {
  return new HttpProblem(
    400,
    'bad_request',
    `The request body could not be read (${(error as Error).message}). Send it again.`,
  );
}

function tooDeep(): HttpProblem {
  return new HttpProblem(
    400,
    'bad_request',
    `"data" is nested deeper than ${MAX_DATA_DEPTH} levels; send flatter data.`,
  );
}

function tooLarge(maxBodyBytes: number, maxBytes: number): HttpProblem {
  return new HttpProblem(
    413,
    'too_large',
    `The request body is over ${maxBodyBytes} bytes, more than a publish of at most ${maxBytes} bytes of "data" needs (Pusher's limit). Send a smaller "data", or a reference to it (an id or URL) instead.`,
  );
}

/**
 * Tracks the nesting of `{` and `[` outside JSON strings across chunks, without recursion or
 * decoding: the structural characters and `"` `\` are ASCII, and UTF-8 never uses ASCII bytes
 * inside a multi-byte character. Returns false once the depth passes `limit`.
 */
function depthGuard(limit: number): (chunk: Uint8Array) => boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  return (chunk) => {
    for (const byte of chunk) {
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === 0x5c) escaped = true;
        else if (byte === 0x22) inString = false;
      } else if (byte === 0x22) {
        inString = true;
      } else if (byte === 0x7b || byte === 0x5b) {
        depth += 1;
        if (depth > limit) return false;
      } else if (byte === 0x7d || byte === 0x5d) {
        depth -= 1;
      }
    }
    return true;
  };
}
