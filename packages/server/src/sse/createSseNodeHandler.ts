import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Hub } from '../hub.js';
import { createSseHandler, DEFAULT_SSE_PATH, type SseHandlerOptions } from './createSseHandler.js';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/**
 * The SSE endpoints as a Node `(req, res, next?)` handler (plain `http`, Express, Connect).
 * Requests outside `basePath` go to `next()`, or get a 404 when there is no `next`.
 */
export function createSseNodeHandler(hub: Hub, options: SseHandlerOptions = {}): NodeHandler {
  const handle = createSseHandler(hub, options);
  const base = (options.basePath ?? DEFAULT_SSE_PATH).replace(/\/$/, '');
  return (req, res, next) => {
    if (!(req.url ?? '/').startsWith(`${base}/`)) {
      if (next) next();
      else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      }
      return;
    }
    void serve(handle, req, res);
  };
}

async function serve(
  handle: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController();
  // `close` on the response fires when the client goes away, before or after the end.
  res.on('close', () => abort.abort());
  const host = req.headers.host ?? '127.0.0.1';
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://${host}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal: abort.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
  const response = await handle(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) res.flushHeaders();
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    res.end();
  } catch {
    // The stream was terminated (fault or shutdown): cut the socket so the client sees a drop.
    res.destroy();
  }
}
