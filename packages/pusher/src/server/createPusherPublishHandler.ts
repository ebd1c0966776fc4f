import { HttpProblem, jsonResponse, problemResponse, readBody } from '@patchbay/realtime-core/http';
import type Pusher from 'pusher';
import {
  allow,
  identify,
  type PusherAuthenticate,
  type PusherAuthorize,
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
 * than one request chunk past the cap (see `readBody` in `@patchbay/realtime-core/http`).
 */
export function createPusherPublishHandler(
  options: PusherPublishHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBytes = options.maxDataBytes ?? 9_216;
  // pusherTransport sends one message per request as compact JSON, so `data` takes as many bytes
  // in the body as it is measured in below. ×3 keeps a client that \u-escapes all non-ASCII text
  // (Python's json.dumps default) within the cap: that triples a string's bytes at most.
  const maxBodyBytes = maxBytes * 3 + ENVELOPE_BYTES;
  const readOptions = {
    maxBodyBytes,
    maxDataDepth: MAX_DATA_DEPTH,
    tooLargeMessage: `The request body is over ${maxBodyBytes} bytes, more than a publish of at most ${maxBytes} bytes of "data" needs (Pusher's limit). Send a smaller "data", or a reference to it (an id or URL) instead.`,
  };
  return async (request) => {
    try {
      requirePost(request);
      const identity = await identify(options.authenticate, request);
      const text = await readBody(request, readOptions);
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
        return jsonResponse(200, { id: envelope.id, timestamp: envelope.timestamp });
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
