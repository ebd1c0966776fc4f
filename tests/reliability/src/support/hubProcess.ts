import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../../packages/server/dist/cli.js', import.meta.url));

/** A hub CLI process (`patchbay-server`), for faults only a real process has: SIGKILL, RSS. */
export interface HubProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Kill it as a crash would (SIGKILL); resolves once it exited. */
  kill(): Promise<void>;
}

/**
 * Start the hub CLI with `args` (add `--port N` to come back where clients expect it; default a
 * free port) and resolve once it listens. Without `--token-secret` it runs with `--dev`, so the
 * suite's clients name themselves as they do against an in-process hub.
 */
export async function startHubProcess(args: readonly string[]): Promise<HubProcess> {
  if (!existsSync(cli)) {
    throw new Error(
      `${cli} is missing: build the server first (pnpm --filter @patchbay/realtime-server build).`,
    );
  }
  const withAuth =
    args.includes('--token-secret') || args.includes('--dev') ? args : ['--dev', ...args];
  const withPort = withAuth.includes('--port') ? withAuth : ['--port', '0', ...withAuth];
  const child = spawn(process.execPath, [cli, ...withPort], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /Patchbay hub listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`a hub exited early (${code}): ${out}`)));
  });
  return {
    child,
    port: Number(new URL(url).port),
    url,
    output: () => out,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
