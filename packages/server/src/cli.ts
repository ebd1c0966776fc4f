import { parseArgs } from 'node:util';
import type { Broker } from './broker.js';
import { createHubServer } from './createHubServer.js';
import type { HubOptions } from './hub.js';
import { normalizeOrigins } from './internal/allowedOrigins.js';
import { signedTokenAuthenticator } from './signedToken.js';

/** The origins `--dev` allows: Vite's and Next.js's (and most dev servers') default ports. */
const DEV_ORIGINS = [
  'http://localhost:5173',
  'http://127.0.0.1:5173',
  'http://localhost:3000',
  'http://127.0.0.1:3000',
];

const usage = `Usage: patchbay-server (--token-secret <secret> | --dev) [--allow-origin <origin>]...
                      [--port 8787] [--host 127.0.0.1] [--presence-grace-ms 5000]
                      [--rate-limit 100/200 | off] [--max-buffered-bytes 1048576]
                      [--slow-consumer-grace-ms 1000] [--slow-consumer-linger-ms 5000]
                      [--redis redis://127.0.0.1:6379] [--redis-prefix patchbay:]
                      [--redis-node-ttl-ms 10000] [--publish-secret <secret>]

Runs the Patchbay hub (Socket.IO at /patchbay/socket.io, SSE at /patchbay/sse, health at /health).

--token-secret (or the PATCHBAY_TOKEN_SECRET environment variable, which keeps it out of the
process list) is how connections authenticate: a token is "<userId>.<signature>", the signature
being the base64url HMAC-SHA256 of userId under the secret (signToken(userId, secret) from
@patchbay/realtime-server), and the connection is userId. At least 32 characters. For any other
scheme (JWTs, sessions) run the hub from code with an authenticate hook (createHubServer).

--dev is for local development: any token is accepted as its user id (a token "alice" or
"alice.<anything>" is user alice; no token: the client's requested clientId), and pages on
${DEV_ORIGINS.join(', ')} may connect. Never expose a --dev hub.

--allow-origin lets browser pages on that origin (scheme://host[:port]) use the hub; repeat it
for several. Pages on other origins are refused, except the hub's own. "*" allows any origin.

--rate-limit is each connection's request budget: <per second>/<burst> (burst defaults to twice
the rate), or off. Over the rate, requests wait their turn rather than fail.

--max-buffered-bytes is how much may wait to be sent to one connection before the hub closes it
as a slow consumer (default 1048576, 1 MiB); the client reconnects and resumes from its cursor.
--slow-consumer-grace-ms is how long a connection may stay over it (default 1000; raise it for
clients on slow or buffering links), --slow-consumer-linger-ms how long a closed one may still
read what was queued for it before it is cut (default 5000).

--publish-secret turns on POST /patchbay/publish, where app servers publish with
"Authorization: Bearer <secret>" (JSON body { channel, event, data, id?, clientId? }). The
PATCHBAY_PUBLISH_SECRET environment variable does the same and keeps the secret out of the
process list. Without either the endpoint is off.

--redis keeps channel state (history, sequence numbers, presence) in Redis and fans out through
it, so several hub processes on one Redis serve the same channels; on a Redis Cluster, give any
node as a seed with ?cluster=true (redis://10.0.0.5:7000?cluster=true). --redis-prefix namespaces the
keys; --redis-node-ttl-ms is how soon a dead process's presence members leave.`;

async function main(): Promise<void> {
  let values: {
    port?: string;
    host?: string;
    'presence-grace-ms'?: string;
    'rate-limit'?: string;
    'max-buffered-bytes'?: string;
    'slow-consumer-grace-ms'?: string;
    'slow-consumer-linger-ms'?: string;
    redis?: string;
    'redis-prefix'?: string;
    'redis-node-ttl-ms'?: string;
    'publish-secret'?: string;
    'token-secret'?: string;
    dev?: boolean;
    'allow-origin'?: string[];
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'presence-grace-ms': { type: 'string' },
        'rate-limit': { type: 'string' },
        'max-buffered-bytes': { type: 'string' },
        'slow-consumer-grace-ms': { type: 'string' },
        'slow-consumer-linger-ms': { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'redis-node-ttl-ms': { type: 'string' },
        'publish-secret': { type: 'string' },
        'token-secret': { type: 'string' },
        dev: { type: 'boolean' },
        'allow-origin': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(
      `--port must be an integer between 0 and 65535; got "${values.port}".\n\n${usage}`,
    );
    process.exit(2);
  }
  const grace = parseMs('--presence-grace-ms', values['presence-grace-ms']);
  const rateLimit =
    values['rate-limit'] === undefined ? undefined : parseRateLimit(values['rate-limit']);
  const maxBufferedBytes =
    values['max-buffered-bytes'] === undefined ? undefined : Number(values['max-buffered-bytes']);
  if (
    maxBufferedBytes !== undefined &&
    !(Number.isInteger(maxBufferedBytes) && maxBufferedBytes > 0)
  ) {
    console.error(
      `--max-buffered-bytes must be a whole number of bytes > 0; got "${values['max-buffered-bytes']}".`,
    );
    process.exit(2);
  }
  const slowConsumerGraceMs = parseMs('--slow-consumer-grace-ms', values['slow-consumer-grace-ms']);
  const slowConsumerLingerMs = parseMs(
    '--slow-consumer-linger-ms',
    values['slow-consumer-linger-ms'],
  );
  const publishSecret = values['publish-secret'] ?? process.env.PATCHBAY_PUBLISH_SECRET;
  if (publishSecret !== undefined && publishSecret.length < 16) {
    console.error(
      `--publish-secret (or PATCHBAY_PUBLISH_SECRET) must be at least 16 characters; generate one with: node -e "console.log(crypto.randomUUID())".`,
    );
    process.exit(2);
  }
  const tokenSecret = values['token-secret'] ?? process.env.PATCHBAY_TOKEN_SECRET;
  if (tokenSecret === undefined && !values.dev) {
    console.error(
      `The hub needs a way to know who connects. Pass --token-secret <secret> (or set PATCHBAY_TOKEN_SECRET) to accept tokens signed with it, or --dev for local development, where any token is accepted as an identity.\n\n${usage}`,
    );
    process.exit(2);
  }
  if (tokenSecret !== undefined && tokenSecret.length < 32) {
    console.error(
      `--token-secret (or PATCHBAY_TOKEN_SECRET) must be at least 32 characters; generate one with: node -e "console.log(crypto.randomBytes(32).toString('base64url'))".`,
    );
    process.exit(2);
  }
  const identity: Pick<HubOptions, 'authenticate' | 'allowAnonymous'> =
    tokenSecret !== undefined
      ? { authenticate: signedTokenAuthenticator(tokenSecret) }
      : { allowAnonymous: true };
  const allowedOrigins = parseOrigins(values['allow-origin'] ?? [], values.dev === true);
  if (values.dev) {
    console.error(
      tokenSecret === undefined
        ? `WARNING: development mode: any token is accepted as an identity, so anyone who can reach this hub can connect as any user; pages on ${allowedOrigins === true ? 'any origin' : allowedOrigins.join(', ')} may connect. Never expose it: use --token-secret in production.`
        : `WARNING: development mode: pages on ${allowedOrigins === true ? 'any origin' : allowedOrigins.join(', ')} may connect.`,
    );
  }
  const broker = values.redis === undefined ? undefined : await redisBroker(values);
  const server = await createHubServer({
    ...identity,
    allowedOrigins,
    port,
    host: values.host ?? '127.0.0.1',
    ...(grace !== undefined ? { presenceGraceMs: grace } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(maxBufferedBytes !== undefined ? { maxBufferedBytes } : {}),
    ...(slowConsumerGraceMs !== undefined ? { slowConsumerGraceMs } : {}),
    ...(slowConsumerLingerMs !== undefined ? { slowConsumerLingerMs } : {}),
    ...(broker ? { broker } : {}),
    ...(publishSecret !== undefined ? { publishSecret } : {}),
  });
  console.log(
    `Patchbay hub listening on ${server.url} (Socket.IO /patchbay/socket.io, SSE /patchbay/sse, publish ${publishSecret !== undefined ? 'POST /patchbay/publish' : 'endpoint off: set --publish-secret'})${broker ? `, state in Redis ${redactUrl(values.redis ?? '')}` : ''}`,
  );
  const stop = (signal: string) => {
    console.log(`\n${signal} received, closing the hub…`);
    void (async () => {
      await server.close();
      await server.hub.close();
      await broker?.close();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** `--allow-origin` values (`*` = any), plus the local dev servers with `--dev`. Exits 2 on a bad one. */
function parseOrigins(values: readonly string[], dev: boolean): string[] | true {
  if (values.includes('*')) return true;
  try {
    const listed = normalizeOrigins(values, '--allow-origin');
    return [...new Set([...(dev ? DEV_ORIGINS : []), ...(listed === true ? [] : listed)])];
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** A duration flag in milliseconds (≥ 0), or undefined when absent. Exits 2 on anything else. */
function parseMs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (value.trim() === '' || !(ms >= 0)) {
    console.error(`${flag} must be a number of milliseconds ≥ 0; got "${value}".`);
    process.exit(2);
  }
  return ms;
}

/** `off`, `<perSecond>` or `<perSecond>/<burst>`. Exits 2 on anything else. */
function parseRateLimit(value: string): { perSecond: number; burst: number } | false {
  if (value === 'off') return false;
  const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(value);
  const perSecond = Number(match?.[1]);
  const burst = match?.[2] === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(match[2]);
  if (!match || !(perSecond > 0) || !(burst >= 1)) {
    console.error(
      `--rate-limit must be <per second>/<burst> (e.g. 100/200), <per second>, or off; got "${value}".\n\n${usage}`,
    );
    process.exit(2);
  }
  return { perSecond, burst };
}

/** Validate the Redis flags, connect, and check that Redis answers. Exits 2 on bad flags. */
async function redisBroker(values: {
  redis?: string;
  'redis-prefix'?: string;
  'redis-node-ttl-ms'?: string;
}): Promise<Broker> {
  const url = values.redis ?? '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname) {
    console.error(
      `--redis must be a Redis URL such as redis://127.0.0.1:6379 (or rediss:// for TLS); got "${url}".\n\n${usage}`,
    );
    process.exit(2);
  }
  const ttl =
    values['redis-node-ttl-ms'] === undefined ? undefined : Number(values['redis-node-ttl-ms']);
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 100)) {
    console.error(
      `--redis-node-ttl-ms must be a number ≥ 100; got "${values['redis-node-ttl-ms']}".`,
    );
    process.exit(2);
  }
  // ioredis is an optional peer: loaded only when --redis is given.
  const { createRedisBroker } = await import('./redisBroker.js').catch((error: unknown) => {
    console.error(
      `--redis needs the ioredis package (npm install ioredis): ${(error as Error).message}`,
    );
    process.exit(2);
  });
  const broker = createRedisBroker({
    url,
    ...(values['redis-prefix'] !== undefined ? { keyPrefix: values['redis-prefix'] } : {}),
    ...(ttl !== undefined ? { nodeTtlMs: ttl } : {}),
  });
  try {
    await broker.ping();
  } catch (error) {
    await broker.close();
    console.error(
      `Could not reach Redis at ${redactUrl(url)}: ${(error as Error).message}\nStart Redis or fix --redis.`,
    );
    process.exit(1);
  }
  return broker;
}

/** A Redis URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

main().catch((error: unknown) => {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE')
    console.error(`Port already in use: ${err.message}. Pick another with --port.`);
  else console.error(error);
  process.exit(1);
});
