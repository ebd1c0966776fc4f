import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../hub.js';
import { normalizeOrigins, originAllowed } from '../internal/allowedOrigins.js';
import { serveFetch } from '../internal/serveFetch.js';
import { createSseHandler, DEFAULT_SSE_PATH, type SseHandlerOptions } from './createSseHandler.js';
import {
  corsHeaders,
  EVENT_STREAM_HEADERS,
  parseStreamRequest,
  refusedOrigin,
  type SseSink,
  SseStream,
} from './sseStream.js';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/**
 * The SSE endpoints as a Node `(req, res, next?)` handler (plain `http`, Express, Connect).
 * Requests outside `basePath` go to `next()`, or get a 404 when there is no `next`.
 *
 * `GET …/stream` is served natively: the stream's events are written straight to the
 * `ServerResponse` as the session sends them (the same `SseStream` the fetch handler feeds into
 * a web `ReadableStream`). Every other request goes through the fetch handler.
 */
export function createSseNodeHandler(hub: Hub, options: SseHandlerOptions = {}): NodeHandler {
  const handle = createSseHandler(hub, options);
  const base = (options.basePath ?? DEFAULT_SSE_PATH).replace(/\/$/, '');
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const allowOrigin = normalizeOrigins(
    options.cors?.origin ?? [],
    'createSseNodeHandler cors.origin',
  );
  return (req, res, next) => {
    if (!(req.url ?? '/').startsWith(`${base}/`)) {
      if (next) next();
      else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      }
      return;
    }
    if (req.method === 'GET') {
      const url = parseUrl(req);
      if (url?.pathname === `${base}/stream`) {
        void stream(hub, req, res, url, heartbeatMs, allowOrigin);
        return;
      }
    }
    void serveFetch(handle, req, res);
  };
}

/** The request's URL as the fetch handler sees it; undefined when it does not parse. */
function parseUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`);
  } catch {
    return undefined;
  }
}

async function stream(
  hub: Hub,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  heartbeatMs: number,
  allowOrigin: true | readonly string[],
): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(allowOrigin, origin, req.headers.host)) {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(refusedOrigin(origin)));
    return;
  }
  let gone = false;
  let opened: SseStream | undefined;
  // `close` on the response fires when the client goes away, before or after the end.
  res.on('close', () => {
    gone = true;
    opened?.lost();
  });
  const lastEventId = req.headers['last-event-id'];
  const params = parseStreamRequest(
    url,
    req.headers.authorization,
    Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
  );
  const cors = corsHeaders(allowOrigin, origin);
  const opening = await SseStream.open(hub, params);
  if (!opening.ok) {
    res.writeHead(opening.status, { 'content-type': 'application/json', ...cors });
    res.end(JSON.stringify(opening.body));
    return;
  }
  if (gone) {
    // The client left while authentication ran: nobody will read this session.
    void opening.stream.session.close('lost');
    return;
  }
  opened = opening.stream;
  res.writeHead(200, cors ? { ...EVENT_STREAM_HEADERS, ...cors } : EVENT_STREAM_HEADERS);
  // Events go straight to the response, in the session's order; `end()` (the link terminated)
  // ends it, and the client sees the stream end without a goodbye.
  opened.start(new BatchedResponse(res, hub.maxBufferedBytes), params, heartbeatMs);
}

/** Responses written to since the last flush, still corked. */
let corked: BatchedResponse[] = [];

function flushCorked(): void {
  const batch = corked;
  corked = [];
  for (const response of batch) response.uncork();
}

/**
 * A stream's response, corked from its first write until the end of the event loop's current
 * turn (`setImmediate`): every event written to it meanwhile — all the messages fanned out from the
 * publishes read in one poll — leaves in one `writev`, instead of one system call per event.
 * Order is the order of the writes; the delay is at most one turn.
 *
 * Backpressure: `write` reports `res.writableLength`, the bytes Node holds because the socket did
 * not take them. Corked bytes count there too, though the client is not at fault for them: when a
 * turn's batch alone passes `maxBufferedBytes`, it is flushed early, and only what the socket then
 * refuses counts against the client.
 */
class BatchedResponse implements SseSink {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  #corked = false;

  constructor(res: ServerResponse, maxBufferedBytes: number) {
    this.#res = res;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  write(chunk: Uint8Array): number {
    if (!this.#corked) {
      this.#corked = true;
      this.#res.cork();
      if (corked.push(this) === 1) setImmediate(flushCorked);
    }
    this.#res.write(chunk);
    if (this.#res.writableLength > this.#maxBufferedBytes) this.uncork();
    return this.#res.writableLength;
  }

  unsent(): number {
    return this.#res.writableLength;
  }

  /** `end()` sends what is corked first: Node uncorks the socket as it ends the response. */
  end(): void {
    this.#res.end();
  }

  /** Free what the client never took; a response it read to the end is left alone. */
  abort(): void {
    if (!this.#res.writableFinished) this.#res.destroy();
  }

  uncork(): void {
    // Flushed early (see `write`), it may still be in this turn's list.
    if (!this.#corked) return;
    this.#corked = false;
    this.#res.uncork();
  }
}
