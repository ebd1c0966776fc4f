/**
 * Idle connections: many SSE streams open on one hub process, memory per connection. The hub runs
 * in a child with `--expose-gc`; it reports heap and RSS after a full GC, once with a few streams
 * open (baseline, so lazily loaded code is already in) and once with `count` more. Clients are
 * raw node:http streaming requests from the bench process.
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { sleep } from '../lib/stats.js';
import { ServerChild } from '../servers/child.js';
import type { HubInfo } from '../servers/protocol.js';

export interface ConnectionsResult {
  requested: number;
  opened: number;
  fdLimit: number;
  openSeconds: number;
  heapPerConnection: number;
  rssPerConnection: number;
  baselineHeap: number;
  baselineRss: number;
  note?: string;
}

/** The soft limit on open files of this process (the child inherits it). */
export function openFileLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return Number.NaN;
  }
}

function openStream(url: string, agent: Agent): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: { accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.on('data', () => {});
      res.on('error', () => {});
      // Open once the welcome event arrived: the hub has a session for it.
      res.once('data', () => resolve(() => req.destroy()));
    });
    req.end();
  });
}

async function openMany(url: string, agent: Agent, count: number, prefix: string) {
  const closers: Array<() => void> = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const k = next++;
      closers.push(await openStream(`${url}/patchbay/sse/stream?clientId=${prefix}-${k}`, agent));
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
  return closers;
}

export async function runConnections(
  requested: number,
  log: (line: string) => void,
): Promise<ConnectionsResult> {
  const fdLimit = openFileLimit();
  // Each stream is one fd in this process and one in the hub's; keep headroom for everything else.
  const count = Number.isFinite(fdLimit) ? Math.min(requested, fdLimit - 500) : requested;
  const note =
    count < requested
      ? `fd limit ${fdLimit}: opened ${count} instead of ${requested}; raise it with \`ulimit -n ${requested + 1000}\`.`
      : undefined;
  const server = await ServerChild.start<HubInfo>('hub', { exposeGc: true });
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const closers: Array<() => void> = [];
  try {
    const { url } = server.info;
    closers.push(...(await openMany(url, agent, 20, 'warm')));
    await sleep(200);
    const baseline = await server.memory();
    if (!baseline.gc) throw new Error('The hub child runs without --expose-gc.');
    const started = performance.now();
    closers.push(...(await openMany(url, agent, count, 'idle')));
    const openSeconds = (performance.now() - started) / 1_000;
    log(`  connections: ${count} SSE streams open in ${openSeconds.toFixed(1)} s`);
    await sleep(500);
    const loaded = await server.memory();
    return {
      requested,
      opened: count,
      fdLimit,
      openSeconds,
      heapPerConnection: (loaded.heapUsed - baseline.heapUsed) / count,
      rssPerConnection: (loaded.rss - baseline.rss) / count,
      baselineHeap: baseline.heapUsed,
      baselineRss: baseline.rss,
      ...(note ? { note } : {}),
    };
  } finally {
    for (const close of closers) close();
    agent.destroy();
    await server.stop();
  }
}
