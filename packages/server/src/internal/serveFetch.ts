import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Run a web-standard `Request → Response` handler for a Node request: the request body is
 * streamed in (the handler decides how much to read), the response streamed out.
 */
export async function serveFetch(
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
