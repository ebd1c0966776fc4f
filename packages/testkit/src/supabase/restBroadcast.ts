import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowed, type EmulatorSettings, isRecord } from './joinChannel.js';
import { verifySupabaseToken } from './supabaseTokens.js';

const BATCH = /^(?:\/realtime\/v1)?\/api\/broadcast\/?$/;
const SINGLE = /^(?:\/realtime\/v1)?\/api\/broadcast\/([^/]+)\/events\/([^/]+)\/?$/;

/**
 * Supabase Realtime's broadcast REST API, at the path the gateway exposes
 * (`/realtime/v1/api/broadcast`) and the server's own (`/api/broadcast`):
 *
 * - `POST …/api/broadcast` with `{ messages: [{ topic, event, payload, private?, id? }] }`;
 * - `POST …/api/broadcast/:topic/events/:event[?private=true]` with the payload as the body
 *   (JSON, or `application/octet-stream` bytes), what realtime-js's `httpSend()` calls.
 *
 * Authenticated by `Authorization: Bearer <jwt>` or `apikey` (`AuthTenant`): 401
 * `{ message: "Unauthorized" }` otherwise. Accepted → 202 with an empty body; a bad batch → 422
 * with Ecto-style `errors`. Private messages need broadcast write (RLS, `service_role` bypasses
 * it); a message without it is dropped silently, and the answer is still 202, as on Supabase.
 */
export function createRestHandler(settings: EmulatorSettings) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(settings, req, res).catch(() => json(res, 500, { message: 'Unknown error' }));
  };
}

async function handle(settings: EmulatorSettings, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const single = SINGLE.exec(url.pathname);
  if (req.method !== 'POST' || (!single && !BATCH.test(url.pathname))) {
    json(res, 404, { errors: { detail: 'Not Found' } });
    return;
  }
  const token = bearer(req.headers.authorization) ?? header(req.headers.apikey);
  const check = token ? await verifySupabaseToken(token, settings.secret) : undefined;
  if (!check?.ok) {
    json(res, 401, { message: 'Unauthorized' });
    return;
  }
  const body = await readBody(req);
  const { claims } = check;
  const mayWrite = (topic: string) => allowed(settings, claims, topic, 'broadcast.write');

  if (single) {
    const topic = decodeURIComponent(single[1] as string);
    const event = decodeURIComponent(single[2] as string);
    const isPrivate = url.searchParams.get('private') === 'true';
    const binary = (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
    const payload = binary ? undefined : parseJson(body);
    if (!binary && !isRecord(payload)) {
      json(res, 422, { errors: { payload: ['is invalid'] } });
      return;
    }
    if (!isPrivate || (await mayWrite(topic))) {
      settings.hub.broadcast(
        topic,
        isPrivate,
        binary
          ? { kind: 'user', event, encoding: 'binary', bytes: new Uint8Array(body) }
          : { kind: 'json', payload: { event, payload, type: 'broadcast' } },
      );
    }
    res.writeHead(202).end();
    return;
  }

  const parsed = parseJson(body);
  const validated = validateBatch(parsed);
  if ('errors' in validated) {
    json(res, 422, { errors: validated.errors });
    return;
  }
  const writable = new Map<string, boolean>();
  for (const message of validated.messages) {
    if (message.private && !writable.has(message.topic)) {
      writable.set(message.topic, await mayWrite(message.topic));
    }
  }
  for (const message of validated.messages) {
    if (message.private && !writable.get(message.topic)) continue;
    const payload: Record<string, unknown> = { event: message.event };
    if (message.id !== undefined) payload.meta = { id: message.id };
    payload.payload = message.payload;
    payload.type = 'broadcast';
    settings.hub.broadcast(message.topic, message.private, {
      kind: 'json',
      payload,
      ...(message.id !== undefined ? { id: message.id } : {}),
    });
  }
  res.writeHead(202).end();
}

interface BatchMessage {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  private: boolean;
  id?: string;
}

/** `BatchBroadcast.changeset/3`: every field cast and required, errors per message like Ecto's. */
function validateBatch(
  body: unknown,
): { messages: BatchMessage[] } | { errors: Record<string, unknown> } {
  const list = isRecord(body) ? body.messages : undefined;
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    return { errors: { messages: ["can't be blank"] } };
  }
  if (!Array.isArray(list)) return { errors: { messages: ['is invalid'] } };
  const errors: Array<Record<string, string[]>> = [];
  const messages: BatchMessage[] = [];
  for (const item of list) {
    const fieldErrors: Record<string, string[]> = {};
    const entry = isRecord(item) ? item : {};
    const text = (name: 'topic' | 'event') => {
      const value = entry[name];
      if (value === undefined || value === null || value === '')
        fieldErrors[name] = ["can't be blank"];
      else if (typeof value !== 'string') fieldErrors[name] = ['is invalid'];
    };
    text('topic');
    text('event');
    if (entry.payload === undefined || entry.payload === null)
      fieldErrors.payload = ["can't be blank"];
    else if (!isRecord(entry.payload)) fieldErrors.payload = ['is invalid'];
    const isPrivate = entry.private ?? false;
    if (typeof isPrivate !== 'boolean') fieldErrors.private = ['is invalid'];
    errors.push(fieldErrors);
    messages.push({
      topic: entry.topic as string,
      event: entry.event as string,
      payload: entry.payload as Record<string, unknown>,
      private: isPrivate === true,
      ...(typeof entry.id === 'string' ? { id: entry.id } : {}),
    });
  }
  if (errors.some((e) => Object.keys(e).length > 0)) return { errors: { messages: errors } };
  return { messages };
}

function bearer(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const [scheme, token] = value.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}
