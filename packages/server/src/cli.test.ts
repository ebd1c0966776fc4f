import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('patchbay-server CLI', () => {
  it('serves on the port it prints, accepts a client, and exits 0 on SIGINT', async () => {
    expect(existsSync(cli), 'build the package first (pnpm build)').toBe(true);
    const child = spawn(process.execPath, [cli, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error(`the CLI exited early: ${out}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const socket = io(url, {
        path: '/patchbay/socket.io',
        transports: ['websocket'],
        auth: { token: 'alice' },
        reconnection: false,
      });
      const welcome = await new Promise<{ clientId: string }>((resolve, reject) => {
        socket.once('pb:welcome', resolve);
        socket.once('connect_error', reject);
      });
      expect(welcome.clientId).toBe('alice');
      const health = await (await fetch(`${url}/health`)).json();
      expect(health).toMatchObject({ ok: true, connections: 1 });
      socket.close();
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('rejects a bad --port with a usage message and exit code 2', async () => {
    const child = spawn(process.execPath, [cli, '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--port must be an integer/);
  });
});
