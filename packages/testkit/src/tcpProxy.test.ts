import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRedisServer } from './redisServer.js';
import { createTcpProxy, type TcpProxy } from './tcpProxy.js';

const servers: Server[] = [];
const proxies: TcpProxy[] = [];

/** An echo server that prefixes replies with its name. */
async function echo(name: string): Promise<number> {
  const server = createServer((socket) => {
    socket.on('data', (d) => socket.write(`${name}:${d}`));
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function client(port: number) {
  const socket = createConnection(port, '127.0.0.1');
  const state = { data: '', closed: false, socket };
  socket.on('data', (d) => {
    state.data += String(d);
  });
  socket.on('close', () => {
    state.closed = true;
  });
  socket.on('error', () => {});
  return state;
}

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('createTcpProxy', () => {
  it('forwards both ways, and cut() kills open links while new ones still work', async () => {
    const proxy = await createTcpProxy({ upstream: await echo('a') });
    proxies.push(proxy);
    const first = client(proxy.port);
    first.socket.write('hi');
    await vi.waitFor(() => expect(first.data).toBe('a:hi'));
    proxy.cut();
    await vi.waitFor(() => expect(first.closed).toBe(true));
    const second = client(proxy.port);
    second.socket.write('again');
    await vi.waitFor(() => expect(second.data).toBe('a:again'));
    expect(proxy.stats()).toMatchObject({ accepted: 2, open: 1, cut: 1 });
  });

  it('keeps the byte order under delay while the clock moves between reads', async () => {
    let received = '';
    const sink = createServer((socket) => {
      socket.on('data', (d) => {
        received += String(d);
      });
      socket.on('error', () => {});
    });
    servers.push(sink);
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const proxy = await createTcpProxy({ upstream: (sink.address() as { port: number }).port });
    proxies.push(proxy);
    proxy.delay(10);
    // The wall clock advancing between any two reads, as on a loaded machine: a seeded walk that
    // moves 1 ms at some reads and not at others.
    const realNow = Date.now.bind(Date);
    let offset = 0;
    let state = 42;
    vi.spyOn(Date, 'now').mockImplementation(() => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      if (state % 3 === 0) offset++;
      return realNow() + offset;
    });
    const socket = createConnection(proxy.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let sent = '';
    // One record per event-loop turn, so each reaches the proxy as its own read.
    for (let n = 0; n < 1_500; n++) {
      const record = `${n};`;
      sent += record;
      socket.write(record);
      await new Promise((r) => setImmediate(r));
    }
    const deadline = performance.now() + 10_000;
    while (received.length < sent.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    socket.destroy();
    expect(received).toBe(sent);
  });

  it('delays traffic without reordering it, and blackhole swallows it', async () => {
    const proxy = await createTcpProxy({ upstream: await echo('a') });
    proxies.push(proxy);
    const c = client(proxy.port);
    await vi.waitFor(() => expect(proxy.stats().open).toBe(1));
    proxy.delay(80);
    const sentAt = Date.now();
    for (const n of [1, 2, 3]) c.socket.write(String(n));
    await vi.waitFor(() => expect(c.data.replaceAll('a:', '')).toBe('123'));
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(80);
    proxy.delay(0);
    proxy.blackhole(true);
    c.socket.write('lost');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.data).not.toContain('lost');
    expect(c.closed).toBe(false);
    proxy.blackhole(false);
    c.socket.write('4');
    await vi.waitFor(() => expect(c.data.endsWith('a:4')).toBe(true));
  });

  it('refuses new connections on demand and fails over to the next upstream', async () => {
    const down = await echo('down');
    await new Promise((r) => servers.pop()?.close(r));
    const proxy = await createTcpProxy({ upstream: [down, await echo('b')] });
    proxies.push(proxy);
    const c = client(proxy.port);
    c.socket.write('x');
    await vi.waitFor(() => expect(c.data).toBe('b:x'));
    proxy.refuse(true);
    const refused = client(proxy.port);
    await vi.waitFor(() => expect(refused.closed).toBe(true));
    proxy.refuse(false);
    proxy.setUpstream(await echo('c'));
    const moved = client(proxy.port);
    moved.socket.write('y');
    await vi.waitFor(() => expect(moved.data).toBe('c:y'));
  });

  it('round-robin sends each new connection to the next upstream, skipping one that is down', async () => {
    const down = await echo('down');
    await new Promise((r) => servers.pop()?.close(r));
    const proxy = await createTcpProxy({
      upstream: [await echo('a'), down, await echo('b')],
      balance: 'round-robin',
    });
    proxies.push(proxy);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = client(proxy.port);
      c.socket.write('x');
      await vi.waitFor(() => expect(c.data).toMatch(/:x$/));
      seen.push(c.data);
      c.socket.destroy();
    }
    // a, (down → b), b, a
    expect(seen).toEqual(['a:x', 'b:x', 'b:x', 'a:x']);
  });
});

describe('createTcpProxy: stall', () => {
  it('stops reading the server (its writes back up) and delivers everything, in order, after', async () => {
    const total = 8 * 1024 * 1024;
    let sender: Socket | undefined;
    const server = createServer((socket) => {
      sender = socket;
      socket.on('error', () => {});
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = await createTcpProxy({ upstream: (server.address() as { port: number }).port });
    proxies.push(proxy);
    proxy.stall(true);
    const reader = createConnection(proxy.port, '127.0.0.1');
    let received = 0;
    let inOrder = true;
    reader.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte !== received % 251) inOrder = false;
        received++;
      }
    });
    await vi.waitFor(() => expect(sender).toBeDefined());
    const payload = Buffer.alloc(total, 0).map((_, i) => i % 251);
    (sender as Socket).write(payload);
    await new Promise((r) => setTimeout(r, 300));
    // The reader got at most what socket buffers held; the rest waits in the server's buffer.
    expect(received).toBeLessThan(total);
    expect((sender as Socket).writableLength).toBeGreaterThan(0);
    proxy.stall(false);
    await vi.waitFor(() => expect(received).toBe(total), { timeout: 10_000 });
    expect(inOrder).toBe(true);
    expect((sender as Socket).writableLength).toBe(0);
    reader.destroy();
  });
});

describe('startRedisServer', () => {
  it('starts a private redis-server on a free port and stops it', async () => {
    const redis = await startRedisServer();
    const socket: Socket = createConnection(redis.port, '127.0.0.1');
    const reply = await new Promise<string>((resolve) => {
      socket.once('data', (d) => resolve(String(d)));
      socket.write('PING\r\n');
    });
    socket.destroy();
    expect(reply).toBe('+PONG\r\n');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    await redis.stop();
    const after = client(redis.port);
    await vi.waitFor(() => expect(after.closed).toBe(true));
  });
});
