/**
 * `pnpm size`: the size-limit ceilings (`.size-limit.json`, enforced: a change that makes a
 * bundle bigger than its ceiling fails CI), the size targets the project aims for (reported, see
 * docs/benchmarks.md), and the tree-shaking check that size-limit cannot express: importing only
 * `createRealtime` must bundle smaller than all of core. Exits non-zero when a ceiling or the
 * tree-shaking check fails.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('size-limit/package.json')), 'bin.js');

/** The targets (min + gzip, bytes): core + react + sse ≤ 10 kB, each adapter ≤ 2 kB. */
const TARGETS: Record<string, number> = {
  'core + react + sse (createRealtime, hooks, sseTransport)': 10_000,
  'socketio adapter (socket.io-client and core external)': 2_000,
  'pusher adapter (pusher-js and core external)': 2_000,
  'ably adapter (ably and core external)': 2_000,
  'supabase adapter (@supabase/realtime-js and core external)': 2_000,
  'sse adapter (core external; eventsource-parser included)': 2_000,
};

const ceilings = spawnSync(process.execPath, [bin], { stdio: 'inherit' });

const json = spawnSync(process.execPath, [bin, '--json'], { encoding: 'utf8' });
let results: Array<{ name: string; size: number }> = [];
try {
  results = JSON.parse(json.stdout);
} catch {}
if (!Array.isArray(results)) {
  console.error(
    `size-limit --json did not answer a list of results:\n${json.stdout}${json.stderr}`,
  );
  process.exit(1);
}
const sizeOf = (name: string) => {
  const entry = results.find((result) => result.name === name);
  if (!entry) throw new Error(`No size-limit entry named "${name}".`);
  return entry.size;
};
const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`;

console.log('  Targets (reported, not enforced):');
for (const [name, target] of Object.entries(TARGETS)) {
  const size = sizeOf(name);
  const verdict = size <= target ? '✓' : `✗ over by ${kB(size - target)}`;
  console.log(`    ${name}: ${kB(size)} / target ${kB(target)} ${verdict}`);
}

const only = sizeOf('core: createRealtime only');
const all = sizeOf('core: everything');
const shaken = only < all;
console.log(
  `\n  Tree-shaking: createRealtime only ${kB(only)} < all of core ${kB(all)}: ${shaken ? '✓' : '✗'}\n`,
);

process.exit(ceilings.status === 0 && shaken ? 0 : 1);
