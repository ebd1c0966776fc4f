import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type PostgresServerHandle, startPostgresServer } from './postgresServer.js';

const started: PostgresServerHandle[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function start(): Promise<PostgresServerHandle> {
  const server = await startPostgresServer();
  started.push(server);
  return server;
}

/** Run SQL through the server's own psql (no client library needed). */
function psql(server: PostgresServerHandle, query: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      join(server.binDir, 'psql'),
      ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', server.url, '-c', query],
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || String(error))) : resolve(stdout.trim()),
    );
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startPostgresServer', () => {
  it('starts a private PostgreSQL on a free loopback port, with trust auth, and stops it', async () => {
    const server = await start();
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(await psql(server, 'select 40 + 2')).toBe('42');
    expect(await psql(server, "select current_setting('listen_addresses')")).toBe('127.0.0.1');
    expect(existsSync(server.dataDir)).toBe(true);

    await server.stop();
    expect(existsSync(server.dataDir)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
    await server.stop(); // a second stop is harmless
  });

  it('gives every server its own cluster', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
    await psql(a, 'create table only_in_a (id int)');
    expect(await psql(a, "select count(*) from pg_tables where tablename = 'only_in_a'")).toBe('1');
    expect(await psql(b, "select count(*) from pg_tables where tablename = 'only_in_a'")).toBe('0');
  });

  it('kill() crashes the server and still removes its directory', async () => {
    const server = await start();
    await psql(server, 'select 1');
    await server.kill();
    expect(existsSync(server.dataDir)).toBe(false);
    await vi.waitFor(async () => expect(await accepts(server.port)).toBe(false));
  });

  it('says how to install PostgreSQL when its binaries are missing', async () => {
    await expect(startPostgresServer({ binDir: '/nonexistent/postgresql/bin' })).rejects.toThrow(
      /install Debian's postgresql package/,
    );
  });
});
