import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RedisServerHandle, startRedisServer } from '@patchbay/realtime-testkit';
import { io, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from './signedToken.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const children: ChildProcess[] = [];
const sockets: Socket[] = [];

afterAll(() => {
  for (const socket of sockets) socket.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Start the CLI on a free port and resolve its URL once it listens. */
function start(args: string[]) {
  expect(existsSync(cli), 'build the package first (pnpm build)').toBe(true);
  const child = spawn(process.execPath, [cli, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', () => reject(new Error(`the CLI exited early: ${out}`)));
  });
  return { child, url, exited };
}

/** Run the CLI until it exits on its own (bad flags); resolve its exit code and stderr. */
async function runToExit(args: string[]): Promise<{ code: number | null; err: string }> {
  const { child, url, exited } = start(args);
  url.catch(() => {}); // it exits without listening: that is the point
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { code: await exited, err };
}

/** A raw Socket.IO client on the hub, resolved once the hub welcomed it. */
async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, {
    path: '/patchbay/socket.io',
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('pb:welcome', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

describe('patchbay-server CLI', () => {
  it('serves on the port it prints, accepts a client, and exits 0 on SIGINT', async () => {
    const hub = start(['--dev']);
    const url = await hub.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const socket = io(url, {
      path: '/patchbay/socket.io',
      transports: ['websocket'],
      auth: { token: 'alice' },
      reconnection: false,
    });
    sockets.push(socket);
    const welcome = await new Promise<{ clientId: string }>((resolve, reject) => {
      socket.once('pb:welcome', resolve);
      socket.once('connect_error', reject);
    });
    expect(welcome.clientId).toBe('alice');
    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({ ok: true, connections: 1 });
    socket.close();
    hub.child.kill('SIGINT');
    expect(await hub.exited).toBe(0);
  });

  it('rejects a bad --port with a usage message and exit code 2', async () => {
    const { code, err } = await runToExit(['--port', 'eighty']);
    expect(code).toBe(2);
    expect(err).toMatch(/--port must be an integer/);
  });

  it('--rate-limit sets the per-connection budget, and a bad value exits 2', async () => {
    const bad = await runToExit(['--rate-limit', 'fast']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--rate-limit must be <per second>\/<burst>/);

    // One request every 5 s with a burst of 1: the second request would wait past the hub's
    // 2 s limit, so it is refused at once with a retryable rate_limited.
    const hub = start(['--dev', '--rate-limit', '0.2/1']);
    const socket = await connect(await hub.url, 'alice');
    const request = () =>
      new Promise<{ ok: boolean; error?: { code: string } }>((resolve) =>
        socket.emit('pb', { op: 'history', channel: 'room' }, resolve),
      );
    expect(await request()).toMatchObject({ ok: true });
    expect(await request()).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    socket.close();
    hub.child.kill('SIGINT');
    expect(await hub.exited).toBe(0);
  });

  it('rejects a bad --slow-consumer-grace-ms or --slow-consumer-linger-ms (exit 2)', async () => {
    const grace = await runToExit(['--dev', '--slow-consumer-grace-ms=-5']);
    expect(grace.code).toBe(2);
    expect(grace.err).toMatch(
      /--slow-consumer-grace-ms must be a number of milliseconds ≥ 0; got "-5"/,
    );
    const linger = await runToExit(['--dev', '--slow-consumer-linger-ms', 'soon']);
    expect(linger.code).toBe(2);
    expect(linger.err).toMatch(
      /--slow-consumer-linger-ms must be a number of milliseconds ≥ 0; got "soon"/,
    );
  });

  it('--publish-secret (or PATCHBAY_PUBLISH_SECRET) turns on POST /patchbay/publish', async () => {
    const secret = 'cli-publish-secret-0123456789';
    const short = await runToExit(['--publish-secret', 'short']);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/at least 16 characters/);

    const publish = (url: string, key: string) =>
      fetch(`${url}/patchbay/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'room', event: 'note', data: 1 }),
      });
    const off = start(['--dev']);
    expect((await publish(await off.url, secret)).status).toBe(404);
    off.child.kill('SIGINT');
    expect(await off.exited).toBe(0);

    const flag = start(['--dev', '--publish-secret', secret]);
    const flagUrl = await flag.url;
    expect((await publish(flagUrl, secret)).status).toBe(200);
    expect((await publish(flagUrl, 'wrong-secret-0123456789')).status).toBe(401);
    flag.child.kill('SIGINT');
    expect(await flag.exited).toBe(0);

    process.env.PATCHBAY_PUBLISH_SECRET = secret;
    const env = start(['--dev']);
    delete process.env.PATCHBAY_PUBLISH_SECRET;
    expect((await publish(await env.url, secret)).status).toBe(200);
    env.child.kill('SIGINT');
    expect(await env.exited).toBe(0);
  });

  it('rejects an invalid --redis URL with exit code 2', async () => {
    const { code, err } = await runToExit(['--dev', '--redis', 'localhost:6379']);
    expect(code).toBe(2);
    expect(err).toMatch(/--redis must be a Redis URL such as redis:\/\//);
  });
});

describe('patchbay-server CLI security', () => {
  it('without --token-secret or --dev refuses to start, naming both (exit 2)', async () => {
    const { code, err } = await runToExit([]);
    expect(code).toBe(2);
    expect(err).toMatch(/--token-secret <secret>/);
    expect(err).toMatch(/PATCHBAY_TOKEN_SECRET/);
    expect(err).toMatch(/--dev/);
  });

  it('--token-secret accepts tokens signed with it as their user, whatever clientId is asked, and refuses others', async () => {
    const short = await runToExit(['--token-secret', 'too-short']);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/at least 32 characters/);

    const secret = 'cli-token-secret-0123456789abcdefghij';
    const hub = start(['--token-secret', secret]);
    const url = await hub.url;
    const signed = io(url, {
      path: '/patchbay/socket.io',
      transports: ['websocket'],
      auth: { token: signToken('alice', secret), clientId: 'mallory' },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(signed);
    const welcome = await new Promise<{ clientId: string }>((resolve, reject) => {
      signed.once('pb:welcome', resolve);
      signed.once('connect_error', reject);
    });
    expect(welcome.clientId).toBe('alice');
    await expect(connect(url, 'alice')).rejects.toThrow(/refused/);
    await expect(
      connect(url, signToken('alice', 'another-secret-0123456789abcdefghij')),
    ).rejects.toThrow(/refused/);
    const stream = await fetch(`${url}/patchbay/sse/stream?token=alice`);
    expect(stream.status).toBe(401);
    await stream.body?.cancel();
    signed.close();
    hub.child.kill('SIGINT');
    expect(await hub.exited).toBe(0);
  });

  it('--dev warns on stderr, accepts any token and lets the local dev servers in; --allow-origin adds one', async () => {
    const hub = start(['--dev', '--allow-origin', 'https://app.example.com']);
    let err = '';
    hub.child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const url = await hub.url;
    await expect.poll(() => err).toMatch(/development mode: any token is accepted as an identity/);
    const socket = await connect(url, 'anyone');
    socket.close();
    const history = (origin: string) =>
      fetch(`${url}/patchbay/sse/history`, {
        method: 'POST',
        headers: { origin, 'content-type': 'text/plain' },
        body: '{}',
      });
    for (const origin of ['http://localhost:5173', 'https://app.example.com']) {
      const listed = await history(origin);
      // Let through (no stream named: 410), with CORS headers for the page.
      expect(listed.status).toBe(410);
      expect(listed.headers.get('access-control-allow-origin')).toBe(origin);
    }
    const other = await history('https://evil.example');
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({
      error: { message: expect.stringMatching(/--allow-origin/) },
    });
    hub.child.kill('SIGINT');
    expect(await hub.exited).toBe(0);
  });

  it('rejects an --allow-origin that is not an origin (exit 2)', async () => {
    const { code, err } = await runToExit(['--dev', '--allow-origin', 'app.example.com/path']);
    expect(code).toBe(2);
    expect(err).toMatch(/"app.example.com\/path" is not an origin/);
  });
});

describe('patchbay-server CLI with --redis', () => {
  let redis: RedisServerHandle | undefined;

  afterAll(async () => {
    await redis?.stop();
  });

  it('two processes on one Redis share history and live messages', async () => {
    redis = await startRedisServer();
    const prefix = `cli-${process.pid}:`;
    const a = start(['--dev', '--redis', redis.url, '--redis-prefix', prefix]);
    const b = start(['--dev', '--redis', redis.url, '--redis-prefix', prefix]);
    const [urlA, urlB] = await Promise.all([a.url, b.url]);
    expect(urlA).not.toBe(urlB);

    const reader = await connect(urlB, 'bob');
    const live: unknown[] = [];
    reader.on('pb:message', (message: { data: unknown }) => live.push(message.data));
    expect(
      await reader.timeout(5_000).emitWithAck('pb', { op: 'subscribe', channel: 'room' }),
    ).toMatchObject({ ok: true, seq: 0 });

    const writer = await connect(urlA, 'alice');
    for (const n of [1, 2]) {
      expect(
        await writer
          .timeout(5_000)
          .emitWithAck('pb', { op: 'publish', channel: 'room', id: `m${n}`, event: 'e', data: n }),
      ).toEqual({ ok: true, seq: n });
    }
    const history = await reader
      .timeout(5_000)
      .emitWithAck('pb', { op: 'history', channel: 'room' });
    expect(history).toMatchObject({ ok: true, seq: 2 });
    expect((history as { messages: Array<{ data: unknown }> }).messages.map((m) => m.data)).toEqual(
      [1, 2],
    );
    await expect.poll(() => live, { timeout: 5_000 }).toEqual([1, 2]);

    reader.close();
    writer.close();
    a.child.kill('SIGTERM');
    b.child.kill('SIGINT');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  });
});
