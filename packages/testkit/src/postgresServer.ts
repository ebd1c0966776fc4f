import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServerHandle {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:port/postgres` (trust auth: no password). */
  readonly url: string;
  /** The directory holding the server's binaries (`psql` is there too). */
  readonly binDir: string;
  /** The cluster's data directory (removed when the server stops). */
  readonly dataDir: string;
  /** Stop the server (fast shutdown; SIGKILL after 5 s) and remove its directory. */
  stop(): Promise<void>;
  /** Kill it as a crash would (SIGKILL), then remove its directory. Resolves once it exited. */
  kill(): Promise<void>;
}

export interface StartPostgresServerOptions {
  /**
   * The directory holding `initdb` and `postgres`. Default: `POSTGRES_BINDIR` from the environment,
   * else `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin`, else `PATH`.
   */
  binDir?: string;
  /** How long to wait for initdb plus the server to be ready. Default 30 000 ms. */
  timeoutMs?: number;
  /** Listen on this port. Default: a free one. */
  port?: number;
}

const INSTALL_HINT =
  "install Debian's postgresql package (apt-get install postgresql; the binaries land in /usr/lib/postgresql/<version>/bin) or set POSTGRES_BINDIR to the directory holding initdb and postgres";

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

const hasServerBinaries = (dir: string) =>
  existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));

/** Where `initdb` and `postgres` live; throws with an install hint when they are nowhere. */
export function findPostgresBinDir(explicit?: string): string {
  const wanted = explicit ?? process.env.POSTGRES_BINDIR;
  if (wanted) {
    if (hasServerBinaries(wanted)) return wanted;
    throw new Error(`No initdb and postgres in ${wanted}: ${INSTALL_HINT}.`);
  }
  const candidates: string[] = [];
  try {
    candidates.push(
      execFileSync('pg_config', ['--bindir'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  } catch {
    // No pg_config (Debian ships it in libpq-dev); look in the usual places instead.
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  } catch {
    // Not Debian's layout.
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  const found = candidates.find(hasServerBinaries);
  if (!found) throw new Error(`Could not find PostgreSQL's initdb and postgres: ${INSTALL_HINT}.`);
  return found;
}

/** initdb and postgres refuse to run as root: then they run as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(
        execFileSync('id', [flag, 'postgres'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'Running as root, and PostgreSQL refuses to run as root, but there is no postgres system user to run it as: ' +
        INSTALL_HINT +
        ' (it creates the user), or run the tests as an ordinary user.',
    );
  }
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; user: { uid: number; gid: number } | undefined; timeoutMs: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      ...(options.user ?? {}),
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} failed (${signal ?? `exit code ${code}`}): ${output.trim().slice(-2000)}`,
          ),
        );
    });
  });
}

/**
 * Start a private PostgreSQL server: a fresh cluster (`initdb`, trust auth) in a new temporary
 * directory, listening on a free loopback port and on no Unix socket, so a test never shares state
 * with another test or with the machine's own PostgreSQL. Stop it in the test: that also removes
 * its directory. As root (CI), initdb and postgres run as the `postgres` system user.
 */
export async function startPostgresServer(
  options: StartPostgresServerOptions = {},
): Promise<PostgresServerHandle> {
  const binDir = findPostgresBinDir(options.binDir);
  const user = serverUser();
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const root = mkdtempSync(join(tmpdir(), 'patchbay-postgres-'));
  const cleanUp = () => rmSync(root, { recursive: true, force: true, maxRetries: 10 });
  const dataDir = join(root, 'data');
  try {
    if (user) chownSync(root, user.uid, user.gid);
    await run(
      join(binDir, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { cwd: root, user, timeoutMs: Math.max(1, deadline - Date.now()) },
    );
  } catch (error) {
    cleanUp();
    throw new Error(`Could not create a PostgreSQL cluster in ${dataDir}: ${String(error)}`);
  }

  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const child: ChildProcess = spawn(
      join(binDir, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'shared_buffers=16MB',
        '-c',
        'max_connections=60',
        '-c',
        'dynamic_shared_memory_type=mmap',
        '-c',
        'lc_messages=C',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        ...(user ?? {}),
      },
    );
    let stderr = '';
    let ready = false;
    let signalReady: () => void = () => {};
    const readyNow = new Promise<void>((resolve) => {
      signalReady = resolve;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
      if (!ready && stderr.includes('database system is ready to accept connections')) {
        ready = true;
        signalReady();
      }
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
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
    // If the test process exits without stopping the server, do not leave it running.
    const onExit = () => {
      child.kill('SIGKILL');
      cleanUp();
    };
    process.once('exit', onExit);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
    });
    await Promise.race([readyNow, exited, timedOut]);
    clearTimeout(timer);

    if (ready && alive) {
      const finish = async (signal: NodeJS.Signals) => {
        if (alive) {
          child.kill(signal);
          const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(force);
        }
        process.removeListener('exit', onExit);
        cleanUp();
      };
      return {
        port,
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        binDir,
        dataDir,
        // SIGINT is PostgreSQL's fast shutdown: it ends the sessions and checkpoints.
        stop: () => finish('SIGINT'),
        kill: () => finish('SIGKILL'),
      };
    }
    child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', onExit);
    const portTaken = /could not bind|Address already in use/i.test(stderr);
    if (Date.now() >= deadline || attempt >= 3 || !portTaken || options.port !== undefined) {
      cleanUp();
      throw new Error(
        `Could not start ${join(binDir, 'postgres')} on 127.0.0.1:${port}${stderr ? `: ${stderr.trim().slice(-2000)}` : ''}`,
      );
    }
  }
}
