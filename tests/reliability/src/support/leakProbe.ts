import { setImmediate as nextTurn } from 'node:timers/promises';
import { createHubServer, Hub, type HubServer } from '@patchbay/realtime-server';
import { waitFor } from '@patchbay/realtime-testkit';
import { io as defaultIo, type Socket } from 'socket.io-client';

const MB = 1024 * 1024;

/** Collect garbage until the heap stops shrinking, then return heapUsed in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with --expose-gc (the reliability vitest config sets it).');
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 10; round++) {
    await nextTurn();
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (round >= 3 && used >= last * 0.998) return used;
    last = Math.min(last, used);
  }
  return process.memoryUsage().heapUsed;
}

export function heapNote(baseline: number, after: number): string {
  const change = ((after - baseline) / baseline) * 100;
  return `heap ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (baseline ${(baseline / MB).toFixed(1)} MB → ${(after / MB).toFixed(1)} MB)`;
}

export interface CycleRun {
  done: number;
  durationMs: number;
  baseline: number;
  after: number;
  baselineResources: Record<string, number>;
  resources: Record<string, number>;
  /** `Timeout 3→3, TCPSocketWrap 4→4`: each resource type, baseline → after. */
  resourceNote: string;
}

/**
 * Run `cycles` of `cycle` between two settled heap readings: the baseline (heap and active
 * resources) before, then `settle` (e.g. the server has no connections left) and a bounded wait
 * for timers to return to the baseline, then the heap again.
 */
export async function measureCycles(
  cycles: number,
  cycle: () => Promise<void>,
  settle: (baselineResources: Record<string, number>) => Promise<unknown>,
): Promise<CycleRun> {
  const baselineResources = activeResources();
  const baseline = await settledHeap();
  const started = performance.now();
  let done = 0;
  for (let i = 0; i < cycles; i++) {
    await cycle();
    done++;
  }
  const durationMs = performance.now() - started;
  await settle(baselineResources);
  await waitFor(
    'active handles back to baseline',
    () => (activeResources().Timeout ?? 0) <= (baselineResources.Timeout ?? 0),
    { timeoutMs: 10_000 },
  ).catch(() => undefined);
  const after = await settledHeap();
  const resources = activeResources();
  const resourceNote = Object.entries(resources)
    .map(([type, n]) => `${type} ${baselineResources[type] ?? 0}→${n}`)
    .join(', ');
  return { done, durationMs, baseline, after, baselineResources, resources, resourceNote };
}

/** Active handles and requests by type (`Timeout`, `TCPSocketWrap` …). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** A hub over HTTP with rate limiting off (the leak runs make many requests per second). */
export async function startLeakHub(): Promise<{ hub: Hub; server: HubServer }> {
  const hub = new Hub({ allowAnonymous: true, rateLimit: false, presenceGraceMs: 0 });
  const server = await createHubServer({ hub, port: 0, host: '127.0.0.1' });
  return { hub, server };
}

/** A socket.io-client factory that remembers the sockets it made, to count their listeners. */
export function recordingIo(): { io: typeof defaultIo; sockets: Socket[] } {
  const sockets: Socket[] = [];
  const io = ((...args: Parameters<typeof defaultIo>) => {
    const socket = defaultIo(...args);
    sockets.push(socket);
    return socket;
  }) as typeof defaultIo;
  return { io, sockets };
}

/** Listeners and pending acks a socket.io-client socket holds. */
export function socketLoad(socket: Socket): { listeners: number; acks: number } {
  const events = ['pb:message', 'pb:presence', 'pb:error', 'disconnect', 'connect_error'];
  const listeners = events.reduce((sum, event) => sum + socket.listeners(event).length, 0);
  const acks = Object.keys(
    (socket as unknown as { acks: Record<string, unknown> }).acks ?? {},
  ).length;
  return { listeners, acks };
}
