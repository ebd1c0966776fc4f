import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export interface RedisServerHandle {
  readonly port: number;
  /** `redis://127.0.0.1:port` */
  readonly url: string;
  /** Stop the server (SIGKILL after 5 s if it does not exit). */
  stop(): Promise<void>;
  /** Kill it as a crash would (SIGKILL): everything in it is lost. Resolves once it exited. */
  kill(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** The redis-server binary. Default: `REDIS_SERVER` from the environment, else `redis-server`. */
  binary?: string;
  /** How long to wait for it to answer. Default 10 000 ms. */
  timeoutMs?: number;
  /** Listen on this port (e.g. to bring a killed server back, empty, where clients expect it). Default: a free one. */
  port?: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/**
 * Start a private `redis-server` on a free loopback port, with nothing kept on disk, so a test
 * never shares state with another test or with the machine's own Redis. Stop it in the test.
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServerHandle> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? 'redis-server';
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (let attempt = 0; ; attempt++) {
    // Redis treats port 0 as "no TCP", so pick a free port first; retry if another process takes it.
    const port = options.port ?? (await freePort());
    const child: ChildProcess = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', (error) => {
        stderr += String(error);
        resolve(-1);
      });
    });
    let alive = true;
    void exited.then(() => {
      alive = false;
    });
    while (alive && Date.now() < deadline) {
      if (await ping(port)) {
        return {
          port,
          url: `redis://127.0.0.1:${port}`,
          stop: async () => {
            if (!alive) return;
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(timer);
          },
          kill: async () => {
            if (!alive) return;
            child.kill('SIGKILL');
            await exited;
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    if (Date.now() >= deadline || attempt >= 3) {
      throw new Error(
        `Could not start ${binary} on 127.0.0.1:${port}${stderr ? `: ${stderr.trim()}` : ''}. Install Redis (Debian: apt-get install redis-server) or set REDIS_SERVER to its path.`,
      );
    }
  }
}
