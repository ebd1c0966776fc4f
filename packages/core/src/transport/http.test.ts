import { describe, expect, it, vi } from 'vitest';
import {
  bearerToken,
  HttpProblem,
  jsonResponse,
  problemResponse,
  type ReadBodyOptions,
  readBody,
} from './http.js';

const options: ReadBodyOptions = {
  maxBodyBytes: 1_000,
  maxDataDepth: 10,
  tooLargeMessage: 'The request body is over 1000 bytes.',
};
const encoder = new TextEncoder();

/** A POST whose body is `body`, with `content-length` set only when `length` is given. */
function post(body: BodyInit, length?: number): Request {
  return new Request('http://app.test/publish', {
    method: 'POST',
    headers: length === undefined ? {} : { 'content-length': String(length) },
    body,
    duplex: 'half',
  } as RequestInit);
}

/**
 * A body streamed as `chunks`, then (when `endless`) 4 KiB of `x` per pull for ever, pulled
 * only when the reader asks: `state` says how many chunks were pulled and whether it was cancelled.
 */
function streamed(chunks: string[], endless = false) {
  const state = { pulled: 0, cancelled: false };
  const filler = new Uint8Array(4_096).fill(0x78);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[state.pulled];
        state.pulled += 1;
        if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
        else if (endless) controller.enqueue(filler);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** What `readBody` threw, as the `HttpProblem` fields an endpoint answers with. */
async function refusal(request: Request) {
  const error = await readBody(request, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  const { status, code, message } = error as HttpProblem;
  return { status, code, message };
}

const nested = (depth: number) =>
  `{"channel":"room","event":"e","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('readBody', () => {
  it('returns a body within the cap whole, declared or streamed, multi-byte text intact', async () => {
    const text = JSON.stringify({ channel: 'room', event: 'e', data: 'héllo ✓' });
    const declared = post(text, encoder.encode(text).length);
    // The host's fast path: one whole-body read, no stream reader.
    const whole = vi.spyOn(declared, 'arrayBuffer');
    expect(await readBody(declared, options)).toBe(text);
    expect(whole).toHaveBeenCalledOnce();
    // Split inside "é" and "✓": the text is decoded once, after the last chunk.
    const bytes = encoder.encode(text);
    const cut = text.indexOf('é') + 1;
    const parts = [
      bytes.subarray(0, cut),
      bytes.subarray(cut, bytes.length - 4),
      bytes.subarray(-4),
    ];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    expect(await readBody(post(stream), options)).toBe(text);
    expect(
      await readBody(new Request('http://app.test/publish', { method: 'POST' }), options),
    ).toBe('');
  });

  it('refuses an endless body without Content-Length (chunked) with 413 once past the cap, unread after', async () => {
    const { stream, state } = streamed(['{"channel":"room","event":"e","data":"'], true);
    expect(await refusal(post(stream))).toEqual({
      status: 413,
      code: 'too_large',
      message: options.tooLargeMessage,
    });
    // The head, then 4 KiB that passes the 1 000-byte cap.
    expect(state.pulled).toBe(2);
    expect(state.cancelled).toBe(true);
  });

  it('streams a body whose Content-Length is over the cap, refusing it without reading it whole', async () => {
    const { stream, state } = streamed(['{"channel":"room","event":"e","data":"'], true);
    const overstated = post(stream, 30 * 1024 * 1024);
    const whole = vi.spyOn(overstated, 'arrayBuffer');
    expect(await refusal(overstated)).toMatchObject({ status: 413 });
    expect(whole).not.toHaveBeenCalled();
    expect(state.pulled).toBe(2);
    expect(state.cancelled).toBe(true);
  });

  it('holds a body longer than its Content-Length to the cap (a host that does not frame by it)', async () => {
    const body = JSON.stringify({ channel: 'room', event: 'e', data: 'x'.repeat(4_000) });
    expect(await refusal(post(body, 40))).toEqual({
      status: 413,
      code: 'too_large',
      message: options.tooLargeMessage,
    });
  });

  it('refuses a body nested past maxDataDepth with 400, declared or streamed', async () => {
    const tooDeep = {
      status: 400,
      code: 'bad_request',
      message: '"data" is nested deeper than 10 levels; send flatter data.',
    };
    expect(await refusal(post(nested(11), nested(11).length))).toEqual(tooDeep);
    expect(await refusal(post(nested(11)))).toEqual(tooDeep);
    // Nesting shows in the first bytes: a deep endless body is refused at its first chunk.
    const { stream, state } = streamed([`{"data":${'['.repeat(11)}`], true);
    expect(await refusal(post(stream))).toEqual(tooDeep);
    expect(state.pulled).toBe(1);
    expect(state.cancelled).toBe(true);
  });

  it('accepts data exactly maxDataDepth deep, and ignores brackets inside strings across chunks', async () => {
    expect(await readBody(post(nested(10), nested(10).length), options)).toBe(nested(10));
    // 20 brackets inside "data", with an escaped quote and backslash that do not end the string,
    // split so a chunk ends inside the string and right after a backslash.
    const chunks = ['{"data":"[[[[[\\', '"[[[[[\\\\', '[[[[[', '[[[[["}'];
    const text = chunks.join('');
    expect((JSON.parse(text) as { data: string }).data).toBe('[[[[["[[[[[\\[[[[[[[[[[');
    expect(await readBody(post(streamed(chunks).stream), options)).toBe(text);
    expect(await readBody(post(text, text.length), options)).toBe(text);
  });

  it('answers a body that fails mid-upload with 400 saying to send it again', async () => {
    let pulls = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        if (pulls === 1) controller.enqueue(encoder.encode('{"data":'));
        else controller.error(new Error('connection reset'));
      },
    });
    expect(await refusal(post(failing))).toEqual({
      status: 400,
      code: 'bad_request',
      message: 'The request body could not be read (connection reset). Send it again.',
    });
  });
});

describe('problemResponse, jsonResponse and bearerToken', () => {
  it('answers an HttpProblem with its status and { error: { code, message } }, anything else with 500', async () => {
    const problem = problemResponse(new HttpProblem(403, 'forbidden', 'Grant it in authorize().'));
    expect(problem.status).toBe(403);
    expect(problem.headers.get('content-type')).toBe('application/json');
    expect(problem.headers.get('cache-control')).toBe('no-store');
    expect(await problem.json()).toEqual({
      error: { code: 'forbidden', message: 'Grant it in authorize().' },
    });
    const crash = problemResponse(new TypeError('x is undefined'));
    expect(crash.status).toBe(500);
    expect(await crash.json()).toEqual({
      error: { code: 'internal', message: 'The handler failed: x is undefined' },
    });
    expect(await jsonResponse(200, { id: 'm-1' }).json()).toEqual({ id: 'm-1' });
  });

  it('reads the token of an "Authorization: Bearer" header, case-insensitively', () => {
    const withHeader = (value?: string) =>
      new Request(
        'http://app.test/',
        value === undefined ? {} : { headers: { authorization: value } },
      );
    expect(bearerToken(withHeader('Bearer abc.def '))).toBe('abc.def');
    expect(bearerToken(withHeader('bearer  t0k'))).toBe('t0k');
    expect(bearerToken(withHeader('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(bearerToken(withHeader())).toBeUndefined();
  });
});
