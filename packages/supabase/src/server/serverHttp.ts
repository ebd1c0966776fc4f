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

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

export function problemResponse(error: unknown): Response {
  if (error instanceof HttpProblem) {
    return json(error.status, { error: { code: error.code, message: error.message } });
  }
  const message = error instanceof Error ? error.message : String(error);
  return json(500, { error: { code: 'internal', message: `The handler failed: ${message}` } });
}

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim();
}

/**
 * The body as text, refused as soon as it passes `maxBodyBytes` (413) or nests deeper than
 * `maxDepth` (400), without reading the rest. The count is taken on the stream rather than from
 * Content-Length, which a client may omit (chunked) or get wrong; nesting shows in the first
 * bytes, so a too-deep body is a 400 whatever its length.
 */
export async function readBody(
  request: Request,
  maxBodyBytes: number,
  maxDepth: number,
  tooLarge: string,
): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const withinDepth = depthGuard(maxDepth);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw new HttpProblem(
          400,
          'bad_request',
          `The request body could not be read (${(error as Error).message}). Send it again.`,
        );
      }
      if (next.done) break;
      if (!withinDepth(next.value)) {
        throw new HttpProblem(
          400,
          'bad_request',
          `"data" is nested deeper than ${maxDepth - 1} levels; send flatter data.`,
        );
      }
      total += next.value.byteLength;
      if (total > maxBodyBytes) throw new HttpProblem(413, 'too_large', tooLarge);
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
