import {
  ConfigError,
  isRealtimeError,
  type RealtimeMessage,
  validateChannelName,
} from '@patchbay/realtime-core';
import {
  bearerToken,
  HttpProblem,
  jsonResponse,
  problemResponse,
  readBody,
} from '@patchbay/realtime-core/http';
import { SIGNAL_PREFIX, toEnvelope } from '../internal/envelope.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../internal/limits.js';
import { restBroadcaster, type SupabaseServerPublishOptions } from './publishFromServer.js';

/** Who a request is from, as your `authenticate` decides from its token. */
export interface SupabasePublishIdentity {
  /** The Patchbay clientId receivers see on the message: one user, however many connections. */
  userId: string;
}

/**
 * Your token check: turn the client's token (`Authorization: Bearer …`, from `createRealtime`'s
 * `auth()`) into an identity, or `null` to refuse (401). With Supabase Auth, verify the access
 * token (`supabase.auth.getUser(token)`, or its signature with the project's JWT secret).
 */
export type SupabasePublishAuthenticate = (
  token: string | undefined,
  request: Request,
) => SupabasePublishIdentity | null | Promise<SupabasePublishIdentity | null>;

export interface SupabasePublishAuthorizeRequest {
  userId: string;
  /** The Patchbay channel name (the Supabase topic). */
  channel: string;
  event: string;
  request: Request;
}

/** Your permission check for a publish. Return `false` to refuse (403). Default: allow. */
export type SupabasePublishAuthorize = (
  request: SupabasePublishAuthorizeRequest,
) => boolean | Promise<boolean>;

export interface SupabasePublishHandlerOptions extends SupabaseServerPublishOptions {
  /** Runs before the body is read, so a refused caller cannot make the server read a large body. */
  authenticate: SupabasePublishAuthenticate;
  /** Per-channel permission to publish. Default: allow every authenticated user. */
  authorize?: SupabasePublishAuthorize;
  /**
   * Runs for every accepted publish before it is broadcast, with the message exactly as receivers
   * get it (id, channel, event, data, clientId, timestamp): record it in your history here. Run
   * before the broadcast, a client that refetches history after a `discontinuity` (once it is
   * joined again) finds every message it missed live. If it throws, the handler answers 500 and the
   * client sends the message again with the same id, so make it idempotent by id.
   */
  onPublish?: (message: RealtimeMessage, request: Request) => void | Promise<void>;
  /**
   * Largest message accepted, in bytes of JSON (`{ event, data }`, as the transport counts it).
   * Default 261 120, the transport's default; keep the two equal. The request body may be at most
   * 3 × this + 8 KiB; a longer body is refused (413) without being read to the end.
   */
  maxMessageBytes?: number;
}

interface PublishBody {
  channel?: unknown;
  event?: unknown;
  data?: unknown;
  id?: unknown;
}

/** Deepest nesting accepted in `data`, as in `@patchbay/realtime-server`: far beyond real payloads. */
const MAX_DATA_DEPTH = 1_000;
/** Room for the fields around `data` (channel ≤ 164, event and id ≤ 200 characters, escaped). */
const ENVELOPE_BYTES = 8_192;

/**
 * The endpoint `supabaseTransport({ publishEndpoint })` posts to, as a web-standard
 * `(Request) => Promise<Response>` (Next.js route handlers, Hono, Deno, Bun; Node through an
 * adapter). It authenticates the caller (before reading the body), reads the body with a byte cap,
 * checks the channel, event, id and size, asks `authorize`, calls `onPublish`, and broadcasts the
 * message over Supabase's REST API in the Patchbay envelope, with the authenticated user as its
 * clientId (never one from the body). Answers `200 { id, timestamp }` once Supabase accepted it,
 * or `{ error: { code, message } }` with 400, 401, 403, 405, 413 (final), or 500, 502, 503
 * (the transport sends the message again with the same id; receivers drop duplicates).
 */
export function createSupabasePublishHandler(
  options: SupabasePublishHandlerOptions,
): (request: Request) => Promise<Response> {
  const broadcast = restBroadcaster(options, 'createSupabasePublishHandler');
  if (typeof options.authenticate !== 'function') {
    throw new ConfigError(
      'createSupabasePublishHandler: "authenticate" must be a function (token, request) => { userId } | null that verifies the caller’s token.',
    );
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new ConfigError('createSupabasePublishHandler: "authorize" must be a function.');
  }
  if (options.onPublish !== undefined && typeof options.onPublish !== 'function') {
    throw new ConfigError('createSupabasePublishHandler: "onPublish" must be a function.');
  }
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1024)) {
    throw new ConfigError(
      `createSupabasePublishHandler: "maxMessageBytes" must be a whole number of bytes ≥ 1024 (the transport's maxMessageBytes); got ${JSON.stringify(options.maxMessageBytes)}.`,
    );
  }
  // The transport sends compact JSON, so `data` takes as many bytes in the body as it is measured
  // in; ×3 keeps a client that \u-escapes all non-ASCII text within the cap.
  const maxBodyBytes = maxBytes * 3 + ENVELOPE_BYTES;
  const readOptions = {
    maxBodyBytes,
    maxDataDepth: MAX_DATA_DEPTH,
    tooLargeMessage: `The request body is over ${maxBodyBytes} bytes, more than a message of at most ${maxBytes} bytes needs. Send a smaller "data", or a reference to it (an id or URL) instead.`,
  };
  const encoder = new TextEncoder();

  return async (request) => {
    try {
      if (request.method !== 'POST') {
        throw new HttpProblem(405, 'method_not_allowed', `Use POST, not ${request.method}.`);
      }
      const identity = await options.authenticate(bearerToken(request), request);
      if (!identity || typeof identity.userId !== 'string' || identity.userId.length === 0) {
        throw new HttpProblem(
          401,
          'unauthenticated',
          'The token was refused. Send a valid token as "Authorization: Bearer <token>" (createRealtime({ auth })).',
        );
      }
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
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpProblem(
          400,
          'bad_request',
          'The body must be a JSON object: { channel, event, data, id }.',
        );
      }
      const { channel, event } = body;
      try {
        validateChannelName(channel);
      } catch (error) {
        throw new HttpProblem(400, 'bad_request', `"channel": ${(error as Error).message}`);
      }
      if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
        throw new HttpProblem(400, 'bad_request', '"event" must be a string of 1–200 characters.');
      }
      if (event.startsWith(SIGNAL_PREFIX)) {
        throw new HttpProblem(
          400,
          'bad_request',
          `"event" may not start with "${SIGNAL_PREFIX}": those names are Patchbay's own signals.`,
        );
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
      const data = body.data === undefined ? null : body.data;
      const size = encoder.encode(JSON.stringify({ event, data })).length;
      if (size > maxBytes) {
        throw new HttpProblem(
          413,
          'too_large',
          `The message is ${size} bytes; at most ${maxBytes} are accepted (maxMessageBytes). Send a reference instead.`,
        );
      }
      if (
        options.authorize &&
        !(await options.authorize({ userId: identity.userId, channel, event, request }))
      ) {
        throw new HttpProblem(
          403,
          'forbidden',
          `User "${identity.userId}" may not publish on channel "${channel}". Grant it in your authorize() hook if this is wrong.`,
        );
      }
      const envelope = toEnvelope(
        { id: typeof body.id === 'string' ? body.id : globalThis.crypto.randomUUID(), data },
        identity.userId,
      );
      if (options.onPublish) {
        try {
          await options.onPublish(
            {
              id: envelope.id,
              channel,
              event,
              data,
              clientId: identity.userId,
              timestamp: envelope.timestamp,
            },
            request,
          );
        } catch (error) {
          throw new HttpProblem(
            500,
            'record_failed',
            `onPublish failed (${(error as Error)?.message ?? error}); the message was not broadcast. Sending it again with the same id is safe.`,
          );
        }
      }
      try {
        await broadcast(channel, event, envelope);
      } catch (error) {
        const retryable = isRealtimeError(error) && error.retryable;
        throw new HttpProblem(
          retryable ? 503 : 502,
          retryable ? 'provider_unavailable' : 'provider_rejected',
          `Supabase did not take the broadcast: ${(error as Error).message}${retryable ? '' : ' Check the handler’s url and serviceKey.'}`,
        );
      }
      return jsonResponse(200, { id: envelope.id, timestamp: envelope.timestamp });
    } catch (error) {
      return problemResponse(error);
    }
  };
}
