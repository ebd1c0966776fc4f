import { ErrorCodes } from '@patchbay/realtime-core';
import { type Reply, type WireError, wireFailure as wire } from '../frames.js';
import type { Hub } from '../hub.js';
import { normalizeOrigins, originAllowed } from '../internal/allowedOrigins.js';
import { type SseRouter, sseRouterFor } from './sseRouting.js';
import {
  bearerToken,
  corsHeaders,
  EVENT_STREAM_HEADERS,
  parseStreamRequest,
  refusedOrigin,
  SseStream,
} from './sseStream.js';

export const DEFAULT_SSE_PATH = '/patchbay/sse';

export interface SseHandlerOptions {
  /** Where the endpoints live. Default `/patchbay/sse`: `GET …/stream`, `POST …/{op}`. */
  basePath?: string;
  /** Interval of `: ping` comments that keep proxies from closing an idle stream. Default 15 000 ms. */
  heartbeatMs?: number;
  /**
   * Browser origins, besides the hub's own, that may call the endpoints: a list of origins
   * (`https://app.example.com`), or `true` for any origin (development only). Default: none. A
   * request whose `Origin` is neither the hub's own (its `Host`) nor listed is refused with 403
   * before it runs — CORS headers alone would not stop it, since a `text/plain` POST needs no
   * preflight. Behind a proxy that rewrites `Host`, list the public origin.
   */
  cors?: { origin: true | string | readonly string[] };
}

/** A web-standard handler: export it as `GET` and `POST` from a Next.js App Router route. */
export type FetchHandler = (request: Request) => Promise<Response>;

const OPS = new Set(['subscribe', 'unsubscribe', 'publish', 'presence', 'history', 'close']);

/**
 * The hub's SSE endpoints as a `Request → Response` handler:
 *
 * - `GET {base}/stream` opens a session and streams `welcome`, `message`, `presence` and `error`
 *   events (each with an `id:` resume cursor) and `: ping` heartbeats. The token comes from
 *   `Authorization: Bearer …` or, for native EventSource which cannot send headers, `?token=`.
 *   `?channels=a,b` subscribes at once, resuming from `Last-Event-ID` (or `?lastEventId=`).
 * - `POST {base}/{subscribe|unsubscribe|publish|presence|history|close}` with a JSON body and
 *   the `x-patchbay-connection` header runs one request on that session; 2xx is the ack.
 */
export function createSseHandler(hub: Hub, options: SseHandlerOptions = {}): FetchHandler {
  const base = (options.basePath ?? DEFAULT_SSE_PATH).replace(/\/$/, '');
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const allowOrigin = normalizeOrigins(options.cors?.origin ?? [], 'createSseHandler cors.origin');

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(`${base}/`)) return json(404, notFound(base));
    const op = url.pathname.slice(base.length + 1);
    if (request.method === 'OPTIONS') return new Response(null, { status: 204 });
    if (op === 'stream') {
      if (request.method !== 'GET')
        return json(405, wire(ErrorCodes.InvalidFrame, 'Open the stream with GET.'));
      return openStream(hub, request, url, heartbeatMs);
    }
    if (!OPS.has(op)) return json(404, notFound(base));
    if (request.method !== 'POST')
      return json(405, wire(ErrorCodes.InvalidFrame, `Send ${op} requests with POST.`));
    return handleRequest(hub, request, op, url, router);
  };
  // With a broker shared between processes, a POST may reach a process that does not hold its
  // stream: it is run on the one that does (see sseRouting.ts).
  const router = sseRouterFor(hub, route);

  return async (request) => {
    const origin = request.headers.get('origin');
    const host = request.headers.get('host') ?? new URL(request.url).host;
    if (origin !== null && !originAllowed(allowOrigin, origin, host)) {
      return json(403, refusedOrigin(origin));
    }
    const response = await route(request);
    const cors = corsHeaders(allowOrigin, origin);
    if (cors) {
      for (const [name, value] of Object.entries(cors)) {
        if (name === 'vary') response.headers.append(name, value);
        else response.headers.set(name, value);
      }
    }
    return response;
  };
}

async function openStream(
  hub: Hub,
  request: Request,
  url: URL,
  heartbeatMs: number,
): Promise<Response> {
  const params = parseStreamRequest(
    url,
    request.headers.get('authorization'),
    request.headers.get('last-event-id'),
  );
  const opening = await SseStream.open(hub, params);
  if (!opening.ok) return json(opening.status, opening.body);
  const { stream } = opening;
  if (request.signal?.aborted) {
    // The client left while authentication ran: nobody will read this session.
    void stream.session.close('lost');
    return new Response(null, { status: 499 });
  }
  // Sized in bytes, so `desiredSize` is the bound minus the bytes the consumer has not pulled.
  const highWaterMark = hub.maxBufferedBytes;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const unsent = () =>
          Number.isFinite(highWaterMark) ? highWaterMark - (controller.desiredSize ?? 0) : 0;
        stream.start(
          {
            write: (chunk) => {
              controller.enqueue(chunk);
              return unsent();
            },
            unsent,
            end: () => controller.close(),
            // Errors a stream whose consumer never pulled its end, dropping the queue; after
            // the end was read it is already closed and this does nothing.
            abort: () => controller.error(new Error('slow consumer: the stream was cut')),
          },
          params,
          heartbeatMs,
        );
      },
      cancel() {
        stream.lost();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
  request.signal?.addEventListener('abort', () => stream.lost());
  return new Response(body, { status: 200, headers: EVENT_STREAM_HEADERS });
}

async function handleRequest(
  hub: Hub,
  request: Request,
  op: string,
  url: URL,
  router: SseRouter | undefined,
): Promise<Response> {
  const connectionId = request.headers.get('x-patchbay-connection');
  const session = connectionId ? hub.session(connectionId) : undefined;
  if (!session && connectionId && router) {
    const text = await request.text();
    if (Buffer.byteLength(text) > maxBodyBytes(hub)) return tooLarge(hub);
    const forwarded = await router.forward(request, connectionId, text);
    if (forwarded) return forwarded;
  }
  if (!session) {
    return json(
      410,
      wire(
        ErrorCodes.ConnectionClosed,
        'No open stream for this x-patchbay-connection; open GET /stream first and use the connectionId from its welcome event.',
        true,
      ),
    );
  }
  // The connection id is not a secret: the request must carry the same identity as the stream.
  const token = bearer(request) ?? url.searchParams.get('token') ?? undefined;
  const identity = await hub.identify(token, session.clientId).catch(() => undefined);
  if (!identity || identity.clientId !== session.clientId) {
    return json(
      401,
      wire(ErrorCodes.AuthRejected, 'This request’s credentials do not match the stream it names.'),
    );
  }
  let body: unknown;
  try {
    const text = await request.text();
    if (Buffer.byteLength(text) > maxBodyBytes(hub)) return tooLarge(hub);
    body = text ? JSON.parse(text) : {};
  } catch {
    return json(400, wire(ErrorCodes.InvalidFrame, 'The request body is not valid JSON.'));
  }
  if (op === 'close') {
    await session.close('client');
    session.link.terminate();
    return json(200, { ok: true });
  }
  if (op === 'publish' && Array.isArray((body as { messages?: unknown } | null)?.messages)) {
    // A batch keeps one publisher's order over HTTP: messages are handled one after another.
    const results: Reply[] = [];
    for (const message of (body as { messages: unknown[] }).messages) {
      const frame = typeof message === 'object' && message !== null ? { ...message, op } : message;
      results.push((await session.handle(frame)) ?? (await never()));
    }
    return json(200, { ok: true, results });
  }
  const frame =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, op } : body;
  const reply = await session.handle(frame);
  if (reply === undefined) return never();
  if (op === 'subscribe' && reply.ok && session.closed) {
    // The stream closed while the subscribe ran (dropped, or cut as a slow consumer mid-replay):
    // what the reply claims was replayed may never have reached the client, and a client that
    // believed it would resume past messages it never got.
    return json(
      410,
      wire(
        ErrorCodes.ConnectionClosed,
        'The stream closed while this subscribe ran; reconnect and subscribe again from your last position.',
        true,
      ),
    );
  }
  return json(reply.ok ? 200 : statusOf(reply.error), reply);
}

/** A request carries at most a batch of messages: room for four of the largest plus framing. */
function maxBodyBytes(hub: Hub): number {
  return hub.maxMessageBytes * 4 + 64 * 1024;
}

function tooLarge(hub: Hub): Response {
  return json(
    413,
    wire(
      ErrorCodes.MessageTooLarge,
      `The request body exceeds what the hub accepts (${hub.maxMessageBytes} bytes per message).`,
    ),
  );
}

function statusOf(error: WireError): number {
  switch (error.code) {
    case ErrorCodes.AuthRejected:
      return 403;
    case ErrorCodes.InvalidFrame:
      return 400;
    case ErrorCodes.MessageTooLarge:
      return 413;
    case ErrorCodes.RateLimited:
      return 429;
    case ErrorCodes.ConnectionClosed:
      return 410;
    default:
      return error.retryable ? 503 : 422;
  }
}

function bearer(request: Request): string | undefined {
  return bearerToken(request.headers.get('authorization'));
}

function notFound(base: string) {
  return wire(
    ErrorCodes.InvalidFrame,
    `Unknown endpoint. The hub serves GET ${base}/stream and POST ${base}/{subscribe,unsubscribe,publish,presence,history,close}.`,
  );
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** A blackholed session never answers (fault injection). */
function never(): Promise<never> {
  return new Promise(() => {});
}
