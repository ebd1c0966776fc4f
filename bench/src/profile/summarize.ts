/**
 * Top self-time functions of V8 `.cpuprofile` files (from `--cpu-prof`).
 *
 *   tsx src/profile/summarize.ts <file.cpuprofile>… [--top=20]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const top = Number(args.find((arg) => arg.startsWith('--top='))?.slice(6) ?? 20);

for (const file of args.filter((arg) => !arg.startsWith('--'))) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    total += delta;
    const where = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + delta);
  });
  const busy = total - (self.get('(idle)') ?? 0);
  console.log(
    `\n${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`,
  );
  console.log('| Self ms | % of busy | Function |');
  console.log('|--------:|----------:|----------|');
  const rows = [...self.entries()].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [key, micros] of rows.slice(0, top)) {
    console.log(
      `| ${(micros / 1000).toFixed(0)} | ${((micros / busy) * 100).toFixed(1)}% | \`${key}\` |`,
    );
  }
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(path);
  if (pkg?.[1]) return pkg[1];
  const local = /\/work\/main\/(.*)$/.exec(path);
  return local?.[1] ?? path;
}
