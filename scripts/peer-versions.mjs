/**
 * `pnpm test:peers`: the Pusher and Ably conformance suites against the lowest and the highest
 * vendor SDK versions each adapter's peer range accepts, and the Socket.IO conformance suite
 * against the lowest and the highest `socket.io` the hub's (`@patchbay/realtime-server`) range
 * accepts. The workspace installs one version (the lockfile's); this installs each other one from
 * npm into a temporary folder, points the package's `node_modules/<sdk>` link at it for the run,
 * and always puts the link back. The Socket.IO suite runs the hub in-process from the server's
 * build, which loads `socket.io` through `packages/server/node_modules/socket.io`: that is the
 * link swapped, and the server's own Socket.IO tests run with it too.
 *
 * Run after `pnpm build`. `pnpm test:peers socket.io` (or `ably`, `pusher-js`) runs one target.
 * Exit code: 0 all green; 1 a suite failed; 2 set-up failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * `pkg`: whose `node_modules/<sdk>` link is swapped and whose manifest holds the range (a peer
 * dependency, or a dependency);
 * `suites`: the test files run with each version, per package.
 */
const TARGETS = [
  {
    pkg: 'pusher',
    sdk: 'pusher-js',
    suites: [{ pkg: 'pusher', files: ['src/pusherTransport.test.ts'] }],
  },
  {
    pkg: 'supabase',
    sdk: '@supabase/realtime-js',
    suites: [{ pkg: 'supabase', files: ['src/supabaseTransport.test.ts'] }],
  },
  {
    pkg: 'ably',
    sdk: 'ably',
    suites: [{ pkg: 'ably', files: ['src/ablyTransport.test.ts'] }],
  },
  {
    pkg: 'server',
    sdk: 'socket.io',
    suites: [
      { pkg: 'socketio', files: ['src'] },
      { pkg: 'server', files: ['src/socketio', 'src/slowConsumers.test.ts'] },
    ],
  },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

/** A suite that runs longer than this is stuck (a vendor SDK trying to leave loopback). */
const SUITE_TIMEOUT_MS = 10 * 60_000;

const byVersion = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

/** The lowest Node major a release's `engines.node` accepts (`>=22.0.0` → 22), if it says. */
function minimumNodeMajor(sdk, version) {
  const viewed = run('npm', ['view', `${sdk}@${version}`, 'engines.node']);
  const match = /(\d+)/.exec(viewed.stdout ?? '');
  return match ? Number(match[1]) : 0;
}

/**
 * The lowest and the highest release in the range. Releases that need a newer Node than this one
 * (their `engines`) cannot run here: the highest that can is tested, and the skip is printed.
 */
function versionsToTest(sdk, range) {
  const listed = run('npm', ['view', `${sdk}@${range}`, 'version', '--json']);
  if (listed.status !== 0) throw new Error(`npm view ${sdk}@${range} failed:\n${listed.stderr}`);
  const parsed = JSON.parse(listed.stdout);
  const all = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => !v.includes('-'));
  if (all.length === 0) throw new Error(`No release of ${sdk} satisfies ${range}.`);
  all.sort(byVersion);
  const node = Number(process.versions.node.split('.')[0]);
  let highest = all.length - 1;
  while (highest > 0 && minimumNodeMajor(sdk, all[highest]) > node) highest--;
  if (highest < all.length - 1) {
    console.log(
      `${sdk}: ${all[highest + 1]}–${all.at(-1)} need a newer Node than ${process.versions.node}; testing up to ${all[highest]}.`,
    );
  }
  return [...new Set([all[0], all[highest]])];
}

/** Links swapped for a run, put back on any exit (a failure, Ctrl-C, a CI timeout). */
const pending = new Set();
const restoreAll = () => {
  for (const restore of [...pending]) restore();
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    restoreAll();
    process.exit(1);
  });
}
process.on('exit', restoreAll);

const only = process.argv.slice(2);
const selected = only.length > 0 ? TARGETS.filter(({ sdk }) => only.includes(sdk)) : TARGETS;
if (selected.length === 0) {
  console.error(
    `No target for ${only.join(', ')}; targets: ${TARGETS.map((t) => t.sdk).join(', ')}.`,
  );
  process.exit(2);
}

let failed = false;
for (const { pkg, sdk, suites } of selected) {
  const dir = join(root, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const range = manifest.peerDependencies?.[sdk] ?? manifest.dependencies?.[sdk];
  const link = join(dir, 'node_modules', sdk);
  const installed = JSON.parse(readFileSync(join(link, 'package.json'), 'utf8')).version;
  let versions;
  try {
    versions = versionsToTest(sdk, range);
  } catch (error) {
    console.error(String(error));
    process.exit(2);
  }
  for (const version of versions) {
    console.log(
      `\n▶ ${pkg}: conformance with ${sdk}@${version} (range ${range}, workspace has ${installed})`,
    );
    let restore = () => {};
    if (version !== installed) {
      const temp = mkdtempSync(join(tmpdir(), `patchbay-${sdk.replace(/[@/]/g, '_')}-`));
      const install = run(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', temp, `${sdk}@${version}`],
        { stdio: 'inherit' },
      );
      if (install.status !== 0) {
        console.error(`Could not install ${sdk}@${version}.`);
        process.exit(2);
      }
      const previous = readlinkSync(link);
      renameSync(link, `${link}.workspace`);
      symlinkSync(join(temp, 'node_modules', sdk), link, 'dir');
      restore = () => {
        pending.delete(restore);
        rmSync(link, { force: true });
        renameSync(`${link}.workspace`, link);
        rmSync(temp, { recursive: true, force: true });
        if (readlinkSync(link) !== previous) throw new Error(`Could not restore ${link}.`);
      };
      pending.add(restore);
    }
    const loaded = JSON.parse(readFileSync(join(link, 'package.json'), 'utf8')).version;
    if (loaded !== version) {
      restore();
      console.error(`${link} resolves to ${sdk}@${loaded}, not ${version}.`);
      process.exit(2);
    }
    try {
      for (const suite of suites) {
        const suiteDir = join(root, 'packages', suite.pkg);
        // vitest itself, in the package, so a stuck suite is killed with its workers' parent.
        const result = run(
          join(suiteDir, 'node_modules', '.bin', 'vitest'),
          ['run', ...suite.files],
          {
            cwd: suiteDir,
            stdio: 'inherit',
            timeout: SUITE_TIMEOUT_MS,
            killSignal: 'SIGKILL',
          },
        );
        const what = `${suite.pkg} (${suite.files.join(', ')})`;
        if (result.status !== 0) {
          failed = true;
          console.error(`✗ ${what} failed with ${sdk}@${version}`);
        } else console.log(`✓ ${what} passed with ${sdk}@${version}`);
      }
    } finally {
      restore();
    }
  }
}
process.exit(failed ? 1 : 0);
