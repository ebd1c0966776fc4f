/**
 * `pnpm size`: the size-limit budgets (`.size-limit.json`), plus the tree-shaking check that
 * size-limit cannot express: importing only `createRealtime` must bundle smaller than all of core.
 * Exits non-zero when a budget or the tree-shaking check fails.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('size-limit/package.json')), 'bin.js');

const budgets = spawnSync(process.execPath, [bin], { stdio: 'inherit' });

const json = spawnSync(process.execPath, [bin, '--json'], { encoding: 'utf8' });
const results = JSON.parse(json.stdout) as Array<{ name: string; size: number }>;
const sizeOf = (name: string) => {
  const entry = results.find((result) => result.name === name);
  if (!entry) throw new Error(`No size-limit entry named "${name}".`);
  return entry.size;
};
const only = sizeOf('core: createRealtime only');
const all = sizeOf('core: everything');
const shaken = only < all;
console.log(
  `  Tree-shaking: createRealtime only ${(only / 1000).toFixed(2)} kB < all of core ${(all / 1000).toFixed(2)} kB: ${shaken ? '✓' : '✗'}\n`,
);

process.exit(budgets.status === 0 && shaken ? 0 : 1);
