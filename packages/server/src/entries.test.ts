import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Every bare package an ESM file of the build loads when imported (static imports, followed). */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["'];?$|^\s*import\s*["']([^"']+)["'];?$/gm,
    )) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  visit(join(dist, entry));
  return packages;
}

describe('the package entries load only what they need', () => {
  it.each(['index.js', 'sse.js'])('%s loads neither socket.io nor ioredis', (entry) => {
    const loaded = packagesLoadedBy(entry);
    expect(loaded.has('socket.io')).toBe(false);
    expect(loaded.has('ioredis')).toBe(false);
  });

  it('the Socket.IO and Redis entries load their peer', () => {
    expect(packagesLoadedBy('socketio.js').has('socket.io')).toBe(true);
    expect(packagesLoadedBy('redis.js').has('ioredis')).toBe(true);
  });
});
