import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerKind, ServerRequest, ServerResponseMessage } from './protocol.js';

const CHILD = fileURLToPath(new URL('./serverChild.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

const live = new Set<ServerChild>();

/**
 * `BENCH_CPU_PROF_DIR=dir`: every server child writes V8 CPU profiles to `dir/<kind>/` when it
 * stops (one per thread: the largest is the main thread, the others are the TypeScript loader).
 */
const PROFILE_DIR = process.env.BENCH_CPU_PROF_DIR;

/** A server running in its own Node process (see `serverChild.ts`). */
export class ServerChild<TInfo = unknown> {
  readonly kind: ServerKind;
  readonly #process: ChildProcess;
  #info: TInfo | undefined;
  #waiters: Array<(message: ServerResponseMessage) => void> = [];
  #exited = false;

  private constructor(kind: ServerKind, exposeGc: boolean) {
    this.kind = kind;
    this.#process = fork(CHILD, [], {
      execArgv: [
        '--import',
        TSX,
        ...(exposeGc ? ['--expose-gc'] : []),
        ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${kind}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#process.on('message', (message) => {
      const waiter = this.#waiters.shift();
      waiter?.(message as ServerResponseMessage);
    });
    this.#process.on('exit', () => {
      this.#exited = true;
      live.delete(this);
      for (const waiter of this.#waiters.splice(0)) {
        waiter({ type: 'error', message: `The ${kind} server process exited.` });
      }
    });
    live.add(this);
  }

  static async start<T>(
    kind: ServerKind,
    options: { exposeGc?: boolean; heartbeatMs?: number } = {},
  ): Promise<ServerChild<T>> {
    const child = new ServerChild<T>(kind, options.exposeGc ?? false);
    const ready = await child.#request({
      type: 'start',
      kind,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    if (ready.type !== 'ready') throw new Error(`The ${kind} server failed: ${describe(ready)}`);
    child.#info = ready.info as T;
    return child;
  }

  get info(): TInfo {
    return this.#info as TInfo;
  }

  /** CPU time (user + system) the server process has used so far, in microseconds. */
  async cpuMicros(): Promise<number> {
    const answer = await this.#request({ type: 'cpu' });
    if (answer.type !== 'cpu') throw new Error(describe(answer));
    return answer.micros;
  }

  /** Heap and RSS after a full GC in the server process. */
  async memory(): Promise<{ heapUsed: number; rss: number; gc: boolean }> {
    const answer = await this.#request({ type: 'memory' });
    if (answer.type !== 'memory') throw new Error(describe(answer));
    return answer;
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await this.#request({ type: 'stop' }).catch(() => undefined);
    await exited;
    clearTimeout(timer);
  }

  #request(message: ServerRequest): Promise<ServerResponseMessage> {
    if (this.#exited) {
      return Promise.resolve({ type: 'error', message: `The ${this.kind} server is not running.` });
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#process.send(message);
    });
  }

  /** Kill every server child still running (used on exit paths). */
  static killAll(): void {
    for (const child of live) child.#process.kill('SIGKILL');
  }
}

function describe(message: ServerResponseMessage): string {
  return message.type === 'error' ? message.message : `unexpected ${message.type} answer`;
}

process.on('exit', () => ServerChild.killAll());
