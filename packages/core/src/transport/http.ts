/**
 * `@patchbay/realtime-core/http`: helpers for an adapter's server-side endpoints, web-standard
 * `(Request) => Response` handlers such as a publish endpoint that authenticates the caller, then
 * reads a JSON body `{ channel, event, data, … }` under a byte cap and a nesting limit. An entry of
 * its own rather than part of `/transport`, which adapters' client code imports: browsers never
 * load it, so its messages keep their full text, as the adapters' server code does.
 */

/** A 4xx/5xx with a JSON body `{ error: { code, message } }` that says how to fix it. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON answer that no cache keeps (every endpoint answer is per caller). */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/**
 * An `HttpProblem` as its status and `{ error: { code, message } }`; anything else is a 500
 * `internal` with the error's message, so the caller still gets JSON it can show.
 */
export function problemResponse(error: unknown): Response {
  if (error instanceof HttpProblem) {
    return jsonResponse(error.status, { error: { code: error.code, message: error.message } });
  }
  const message = error instanceof Error ? error.message : String(error);
  return jsonResponse(500, {
    error: { code: 'internal', message: `The handler failed: ${message}` },
  });
}

/** The token of an `Authorization: Bearer <token>` header, or `undefined` without one. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim();
}

export interface ReadBodyOptions {
  /** Largest body accepted, in bytes; a longer one is refused with 413 `too_large`. */
  maxBodyBytes: number;
  /**
   * Deepest nesting of `{` and `[` accepted in the body's `data` field, which sits one level
   * inside the body object; a deeper body is refused with 400 `bad_request`.
   */
  maxDataDepth: number;
  /** The 413's message: what the cap is and what to send instead. */
  tooLargeMessage: string;
}

/**
 * The body as text, refused when it passes `maxBodyBytes` (413) or nests deeper than `data` may
 * (400), so neither an oversized nor a deeply nested body costs more than one request chunk past
 * the cap, and `JSON.parse` never recurses past the limit. The count is not taken from
 * Content-Length alone, which a client may omit (chunked), and a too-deep body is a 400 whatever
 * its length, because nesting shows in its first bytes.
 *
 * A body whose declared Content-Length is within the cap is read whole and checked after: the
 * server's HTTP framing ends it at that length, so it cannot cost more than the cap, and a
 * whole-body read is the host's fast path. Reading `request.body` instead made
 * `@hono/node-server` build a full undici `Request` and web streams for every publish: ~110 µs
 * more server time per publish than the raw app server in `pnpm bench` (pusher), whose
 * throughput went from 0.81× to 0.91× raw with this path. Any other body (no length, or a longer
 * one) is streamed and checked as it arrives, so it is refused without reading the rest.
 */
export async function readBody(request: Request, options: ReadBodyOptions): Promise<string> {
  const length = request.headers.get('content-length');
  if (length !== null && /^\d{1,15}$/.test(length) && Number(length) <= options.maxBodyBytes) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await request.arrayBuffer());
    } catch (error) {
      throw unreadable(error);
    }
    if (!depthGuard(options.maxDataDepth + 1)(bytes)) throw tooDeep(options.maxDataDepth);
    // Only a host that does not hold a body to its Content-Length gets here with more.
    if (bytes.byteLength > options.maxBodyBytes) {
      throw new HttpProblem(413, 'too_large', options.tooLargeMessage);
    }
    return new TextDecoder().decode(bytes);
  }
  return readBodyStream(request, options);
}

/** `readBody` for a body of unknown or excessive length: checked chunk by chunk as it streams. */
async function readBodyStream(request: Request, options: ReadBodyOptions): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const withinDepth = depthGuard(options.maxDataDepth + 1);
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
      if (!withinDepth(next.value)) throw tooDeep(options.maxDataDepth);
      total += next.value.byteLength;
      if (total > options.maxBodyBytes) {
        throw new HttpProblem(413, 'too_large', options.tooLargeMessage);
      }
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

function tooDeep(maxDataDepth: number): HttpProblem {
  return new HttpProblem(
    400,
    'bad_request',
    `"data" is nested deeper than ${maxDataDepth} levels; send flatter data.`,
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
