import type { IncomingMessage, ServerResponse } from 'node:http';
import { hmacHex, httpSignaturePayload, md5Hex, safeEqual } from './pusherSignatures.js';
import type { PusherAppState } from './pusherState.js';

/** What the HTTP API needs from the emulator that owns it. */
export interface HttpApiContext {
  state: PusherAppState;
  appId: string;
  key: string;
  secret: string;
  /** Largest `data` accepted per event, in bytes (Pusher: 10 KB). */
  maxEventBytes: number;
  /** Close every socket signed in as this user (`terminate_connections`). */
  terminateUser(userId: string): void;
}

interface EventBody {
  name?: unknown;
  data?: unknown;
  channels?: unknown;
  channel?: unknown;
  socket_id?: unknown;
  info?: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Serve the slice of the Pusher Channels HTTP API that the `pusher` server SDK calls. */
export async function servePusherHttpApi(
  context: HttpApiContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://emulator');
    const method = request.method ?? 'GET';
    const prefix = `/apps/${context.appId}/`;
    if (!url.pathname.startsWith(prefix)) throw new HttpError(404, 'Unknown app or route');
    authenticate(context, method, url, body);
    const route = url.pathname.slice(prefix.length);
    const result = route_(context, method, route, url.searchParams, body);
    send(response, 200, result);
  } catch (error) {
    if (error instanceof HttpError) send(response, error.status, error.message);
    else send(response, 500, `Internal emulator error: ${(error as Error).message}`);
  }
}

function authenticate(context: HttpApiContext, method: string, url: URL, body: string): void {
  const query = url.searchParams;
  if (query.get('auth_key') !== context.key) {
    throw new HttpError(401, `Unknown auth_key "${query.get('auth_key') ?? ''}"`);
  }
  const expectedPayload = httpSignaturePayload(method, url.pathname, query);
  const expected = hmacHex(context.secret, expectedPayload);
  const given = query.get('auth_signature') ?? '';
  if (!safeEqual(given, expected)) {
    // Pusher's own wording: it shows the string it expected you to sign.
    throw new HttpError(
      401,
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(expectedPayload)}, your_secret_key), but you sent "${given}"`,
    );
  }
  const timestamp = Number(query.get('auth_timestamp'));
  const now = Math.floor(Date.now() / 1_000);
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > 600) {
    throw new HttpError(
      401,
      `Timestamp expired: Given timestamp (${query.get('auth_timestamp')}) not within 600s of server time (${now})`,
    );
  }
  if (body.length > 0 && query.get('body_md5') !== md5Hex(body)) {
    throw new HttpError(401, 'Invalid body_md5: it must be the MD5 hex digest of the raw body');
  }
}

function route_(
  context: HttpApiContext,
  method: string,
  route: string,
  query: URLSearchParams,
  body: string,
): unknown {
  const { state } = context;
  if (method === 'POST' && route === 'events') {
    return triggerOne(context, parseJson(body) as EventBody) ?? {};
  }
  if (method === 'POST' && route === 'batch_events') {
    const batch = (parseJson(body) as { batch?: unknown } | null)?.batch;
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > 10) {
      throw new HttpError(400, 'batch must be an array of 1 to 10 events');
    }
    const infos = batch.map((event: EventBody) => triggerOne(context, event) ?? {});
    return batch.some((event: EventBody) => event.info !== undefined) ? { batch: infos } : {};
  }
  if (method === 'GET' && route === 'channels') {
    const prefix = query.get('filter_by_prefix') ?? '';
    const wantsUsers = (query.get('info') ?? '').split(',').includes('user_count');
    if (wantsUsers && !prefix.startsWith('presence-')) {
      throw new HttpError(400, 'info=user_count requires filter_by_prefix=presence-');
    }
    const channels: Record<string, unknown> = {};
    for (const name of state.channelNames().filter((n) => n.startsWith(prefix))) {
      channels[name] = wantsUsers ? { user_count: state.userCount(name) } : {};
    }
    return { channels };
  }
  const users = /^channels\/([^/]+)\/users$/.exec(route);
  if (method === 'GET' && users?.[1] !== undefined) {
    const name = decodeURIComponent(users[1]);
    if (!name.startsWith('presence-'))
      throw new HttpError(400, 'Users are only available for presence channels');
    return { users: state.userIds(name).map((id) => ({ id })) };
  }
  const one = /^channels\/([^/]+)$/.exec(route);
  if (method === 'GET' && one?.[1] !== undefined) {
    const name = decodeURIComponent(one[1]);
    const info = (query.get('info') ?? '').split(',');
    const count = state.subscriptionCount(name);
    if (info.includes('user_count') && !name.startsWith('presence-')) {
      throw new HttpError(400, 'info=user_count is only available for presence channels');
    }
    return {
      occupied: count > 0,
      ...(info.includes('user_count') ? { user_count: state.userCount(name) } : {}),
      ...(info.includes('subscription_count') ? { subscription_count: count } : {}),
    };
  }
  const terminate = /^users\/([^/]+)\/terminate_connections$/.exec(route);
  if (method === 'POST' && terminate?.[1] !== undefined) {
    context.terminateUser(decodeURIComponent(terminate[1]));
    return {};
  }
  throw new HttpError(404, `Unknown route ${method} /apps/${context.appId}/${route}`);
}

function triggerOne(context: HttpApiContext, event: EventBody): unknown {
  const { state } = context;
  if (typeof event !== 'object' || event === null)
    throw new HttpError(400, 'Event must be an object');
  const channels = Array.isArray(event.channels)
    ? event.channels
    : typeof event.channel === 'string'
      ? [event.channel]
      : undefined;
  if (!channels || channels.length === 0 || channels.length > 100) {
    throw new HttpError(400, 'channels must list 1 to 100 channel names');
  }
  if (typeof event.name !== 'string' || event.name.length === 0 || event.name.length > 200) {
    throw new HttpError(400, 'name must be a string of 1 to 200 characters');
  }
  if (typeof event.data !== 'string') throw new HttpError(400, 'data must be a string');
  if (Buffer.byteLength(event.data) > context.maxEventBytes) {
    throw new HttpError(
      413,
      `Request Entity Too Large: data exceeds ${context.maxEventBytes} bytes`,
    );
  }
  const except =
    typeof event.socket_id === 'string' ? state.sockets.get(event.socket_id) : undefined;
  for (const channel of channels) {
    if (typeof channel !== 'string' || !/^[A-Za-z0-9_\-=@,.;#]{1,200}$/.test(channel)) {
      throw new HttpError(400, `Invalid channel name ${JSON.stringify(channel)}`);
    }
  }
  for (const channel of channels as string[]) {
    state.broadcast(channel, { event: event.name, channel, data: event.data }, except);
  }
  if (typeof event.info !== 'string') return undefined;
  const info = event.info.split(',');
  const out: Record<string, unknown> = {};
  for (const channel of channels as string[]) {
    out[channel] = {
      ...(info.includes('subscription_count')
        ? { subscription_count: state.subscriptionCount(channel) }
        : {}),
      ...(info.includes('user_count') && channel.startsWith('presence-')
        ? { user_count: state.userCount(channel) }
        : {}),
    };
  }
  return { channels: out };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, 'The request body must be JSON');
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new HttpError(413, 'Request Entity Too Large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
  });
  response.end(text);
}
