import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows, isWireError, type Principal } from './credentials.js';
import type { EmulatorContext } from './emulatorContext.js';
import {
  cleanMessage,
  messageSize,
  restMessagesProblem,
  tooLargeMessage,
  type WireError,
  type WireMessage,
  wireError,
} from './protocol.js';

/**
 * The REST routes ably-js uses against the emulator: time, token requests, channel publish
 * (`Ably.Rest`), history, presence, and the connectivity checks, all JSON.
 */
export function createRestHandler(ctx: EmulatorContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Browsers call the REST API cross-origin (token requests, history), as they do Ably's.
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader('access-control-allow-origin', origin);
      // ably-js sends some REST calls (history) with credentials.
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
      res.setHeader(
        'access-control-allow-headers',
        req.headers['access-control-request-headers'] ??
          'authorization, content-type, x-ably-version, ably-agent',
      );
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    void handle(ctx, req, res).catch((error: unknown) => {
      if (error instanceof BadRequest) return fail(res, wireError(40000, 400, error.message));
      send(res, 500, { error: wireError(50000, 500, `Emulator error: ${String(error)}`) });
    });
  };
}

async function handle(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const parts = url.pathname
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new BadRequest(`Malformed percent-encoding in the path segment "${part}".`);
      }
    });
  const method = req.method ?? 'GET';
  if (
    method === 'GET' &&
    (url.pathname === '/up' || url.pathname.endsWith('is-the-internet-up.txt'))
  ) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('yes');
    return;
  }
  if (method === 'GET' && url.pathname === '/time') return send(res, 200, [Date.now()]);
  if (method === 'POST' && parts[0] === 'keys' && parts[2] === 'requestToken') {
    const issued = ctx.credentials.issueToken((await readJson(req)) as Record<string, never>);
    return isWireError(issued) ? fail(res, issued) : send(res, 200, issued);
  }
  if (parts[0] !== 'channels' || parts[1] === undefined) {
    return fail(res, wireError(40400, 404, `No such route: ${method} ${url.pathname}.`));
  }
  const principal = authenticate(ctx, req, url);
  if (isWireError(principal)) return fail(res, principal);
  const name = parts[1];
  const clientId = principal.clientId ?? headerClientId(req);
  const route = parts.slice(2).join('/');
  if (route === 'messages' && method === 'POST') {
    if (!allows(principal, name, 'publish') || ctx.refused(clientId, name, 'publish'))
      return fail(
        res,
        wireError(
          40160,
          401,
          `Action not permitted: this key or token may not publish to "${name}".`,
        ),
      );
    const body = await readJson(req);
    const problem = restMessagesProblem(body);
    if (problem !== undefined) return fail(res, wireError(40000, 400, problem));
    const list = (Array.isArray(body) ? body : [body]) as Array<WireMessage & { size?: number }>;
    // The limit covers everything published at once, as on Ably (HTTP 413, code 40009).
    const size = list.reduce((sum, m) => sum + messageSize(m), 0);
    if (size > ctx.settings.maxMessageSize) {
      return fail(res, wireError(40009, 413, tooLargeMessage(size, ctx.settings.maxMessageSize)));
    }
    const channel = ctx.channel(name);
    const now = Date.now();
    const serials: string[] = [];
    for (const raw of list) {
      const wire = cleanMessage(raw);
      if (wire.clientId === undefined && clientId !== undefined) wire.clientId = clientId;
      const stored = channel.append(wire, now);
      if (stored?.serial) serials.push(stored.serial);
      if (stored) ctx.deliver(channel, stored);
    }
    return send(res, 201, { channel: name, serials });
  }
  if (route === 'messages' && method === 'GET') {
    if (!allows(principal, name, 'history'))
      return fail(
        res,
        wireError(
          40160,
          401,
          `Action not permitted: this key or token may not read history of "${name}".`,
        ),
      );
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 1000);
    const backwards = url.searchParams.get('direction') !== 'forwards';
    const fromSerial = url.searchParams.get('from_serial') ?? undefined;
    const cursor = url.searchParams.get('cursor') ?? undefined;
    const page = ctx.existing(name)?.page({
      limit,
      backwards,
      ...(fromSerial !== undefined ? { fromSerial } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    }) ?? { items: [] };
    const headers: Record<string, string> = {};
    if (page.next !== undefined) {
      const next = new URLSearchParams(url.searchParams);
      next.set('cursor', page.next);
      headers.link = `<./messages?${next.toString()}>; rel="next"`;
    }
    return send(res, 200, page.items, headers);
  }
  if (route === 'presence' && method === 'GET') {
    return send(
      res,
      200,
      [...(ctx.existing(name)?.members.values() ?? [])].map((m) => ({ ...m, action: 1 })),
    );
  }
  if (route === '' && method === 'GET') {
    const channel = ctx.existing(name);
    return send(res, 200, {
      channelId: name,
      status: {
        isActive: (channel?.attached.size ?? 0) > 0,
        occupancy: {
          metrics: {
            connections: channel?.attached.size ?? 0,
            presenceMembers: channel?.members.size ?? 0,
          },
        },
      },
    });
  }
  return fail(res, wireError(40400, 404, `No such route: ${method} ${url.pathname}.`));
}

function authenticate(ctx: EmulatorContext, req: IncomingMessage, url: URL): Principal | WireError {
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(' ');
  if (scheme === 'Basic') return ctx.credentials.checkKey(Buffer.from(value, 'base64').toString());
  if (scheme === 'Bearer') {
    const decoded = Buffer.from(value, 'base64').toString();
    const byDecoded = ctx.credentials.checkToken(decoded);
    return isWireError(byDecoded) ? ctx.credentials.checkToken(value) : byDecoded;
  }
  const key = url.searchParams.get('key');
  if (key) return ctx.credentials.checkKey(key);
  const token = url.searchParams.get('access_token');
  if (token) return ctx.credentials.checkToken(token);
  return wireError(40101, 401, 'No credentials: send a key (Basic) or a token (Bearer).');
}

function headerClientId(req: IncomingMessage): string | undefined {
  const header = req.headers['x-ably-clientid'];
  return typeof header === 'string' ? Buffer.from(header, 'base64').toString() : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    throw new BadRequest('The request body is not valid JSON (the emulator speaks JSON only).');
  }
}

/** A request the emulator cannot read: answered 400 (code 40000), as Ably does. */
class BadRequest extends Error {}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body));
}

function fail(res: ServerResponse, error: WireError): void {
  send(res, error.statusCode, { error });
}
