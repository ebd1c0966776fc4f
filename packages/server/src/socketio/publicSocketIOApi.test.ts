import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The hub uses socket.io through its public API only, so a socket.io upgrade cannot break
// delivery behind a passing type check, and Socket.IO's tooling sees what the hub sends.
const src = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);

const PRIVATE_USES: Array<{ what: string; pattern: RegExp }> = [
  { what: 'an underscore member', pattern: /(?:\.|\?\.)\s*_[A-Za-z$]|\[\s*['"`]_[A-Za-z$]/ },
  {
    what: 'a socket.io internal (engine writes, pre-encoded broadcast, outgoing listeners)',
    pattern: /\b(?:writeToEngine|notifyOutgoingListeners|preEncoded|encodedPackets)\b/,
  },
  { what: 'a Socket.IO packet type literal', pattern: /\btype:\s*[0-6]\b/ },
  { what: 'a socket.io parser import', pattern: /['"](?:socket|engine)\.io-parser['"]/ },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && path !== self ? [path] : [];
  });
}

it('no source file of the server names a socket.io private member', () => {
  const files = sourceFiles(src);
  expect(files.map((file) => relative(src, file))).toContain('socketio/attachSocketIO.ts');
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      for (const { what, pattern } of PRIVATE_USES) {
        if (pattern.test(line)) {
          found.push(`${relative(src, file)}:${index + 1}: ${what}: ${line.trim()}`);
        }
      }
    });
  }
  expect(found).toEqual([]);
});

it('the check finds what it looks for', () => {
  const hits = (line: string) => PRIVATE_USES.filter(({ pattern }) => pattern.test(line)).length;
  expect(hits('adapter._encode(packet, opts);')).toBe(1);
  expect(hits("socket['_onclose']('x');")).toBe(1);
  expect(hits('client.writeToEngine(encoded, opts);')).toBe(1);
  expect(hits("const packet = { type: 2, data: ['pb:message', payload] };")).toBe(1);
  expect(hits("import { PacketType } from 'socket.io-parser';")).toBe(1);
  expect(hits('io.local.to(room).except(ids).emit("pb:message", payload);')).toBe(0);
  expect(hits('const { type: _type, ...message } = frame;')).toBe(0);
});
