import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// The exact texts in src/App.tsx this test edits. If App.tsx changes, an edit finds nothing and
// the build fails, rather than the comparison passing on two identical apps.
const DEVTOOLS_IMPORT = "import { RealtimeDevtools } from '@patchbay/realtime-devtools';\n";
const GATED_ELEMENT = /\{import\.meta\.env\.DEV && (<RealtimeDevtools [^>]*\/>)\}/g;
// Strings only the panel brings: a button label, its test ids, a method of core's inspect().
const PANEL_MARKERS = ['Drop the link', 'pb-devtools', 'dropLink'];

function replaceOnce(code: string, search: string | RegExp, replacement: string): string {
  const found =
    typeof search === 'string' ? code.split(search).length - 1 : [...code.matchAll(search)].length;
  if (found !== 1) {
    throw new Error(
      `src/App.tsx holds ${found} of ${String(search)}, expected exactly 1: update e2e/devtoolsSize.test.ts to match App.tsx`,
    );
  }
  return code.replace(search, replacement);
}

/** A plugin that rewrites src/App.tsx before compilation; `applied()` says it ran. */
function editApp(edit: (code: string) => string): { plugin: Plugin; applied(): boolean } {
  let applied = false;
  const plugin: Plugin = {
    name: 'edit-chat-app',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/src/App.tsx')) return undefined;
      applied = true;
      return edit(code);
    },
  };
  return { plugin, applied: () => applied };
}

interface Bundle {
  entry: string;
  /** Every emitted JS chunk, the lazily loaded adapters included. */
  allJs: string;
}

/**
 * Builds the chat example for production in memory, as `vite build` does. Vite derives
 * `import.meta.env.DEV` from NODE_ENV, not from the mode, and vitest sets NODE_ENV to `test`, so
 * the build runs with NODE_ENV=production the way the CLI sets it.
 */
async function productionBuild(plugins: Plugin[] = []): Promise<Bundle> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    const output = (await build({
      root,
      mode: 'production',
      logLevel: 'warn',
      plugins,
      build: { write: false, sourcemap: false },
    })) as Rollup.RollupOutput;
    const chunks = output.output.filter((file) => file.type === 'chunk');
    const entry = chunks.find((chunk) => chunk.isEntry);
    if (!entry) throw new Error('the build emitted no entry chunk');
    return { entry: entry.code, allJs: chunks.map((chunk) => chunk.code).join('\n') };
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

const size = (code: string) => ({
  raw: Buffer.byteLength(code),
  gzip: gzipSync(code, { level: 9 }).length,
});

describe('the chat example in production', () => {
  it('ships none of the devtools: its entry is the app without them but for the gate literal', async () => {
    const withoutDevtools = editApp((code) => {
      const stripped = replaceOnce(replaceOnce(code, DEVTOOLS_IMPORT, ''), GATED_ELEMENT, '');
      expect(stripped).not.toContain('RealtimeDevtools');
      return stripped;
    });
    const ungated = editApp((code) => replaceOnce(code, GATED_ELEMENT, '$1'));

    const without = await productionBuild([withoutDevtools.plugin]);
    const gatedBuild = await productionBuild();
    const ungatedBuild = await productionBuild([ungated.plugin]);
    expect(withoutDevtools.applied() && ungated.applied()).toBe(true);

    const a = size(without.entry);
    const b = size(gatedBuild.entry);
    const c = size(ungatedBuild.entry);
    const delta = (n: number) => `${n >= 0 ? '+' : ''}${n} B`;
    console.log(
      `chat example production entry: ${a.raw} B (${a.gzip} B gzip) without the devtools; ` +
        `${b.raw} B (${b.gzip} B gzip) with {import.meta.env.DEV && <RealtimeDevtools />}, ` +
        `${delta(b.raw - a.raw)} (${delta(b.gzip - a.gzip)} gzip); ` +
        `${c.raw} B (${c.gzip} B gzip) with the element ungated, ` +
        `${delta(c.raw - a.raw)} (${delta(c.gzip - a.gzip)} gzip)`,
    );

    // Byte for byte the app without the devtools, but for the gate's own `false` child (`,!1`):
    // in a production build the package resolves to a module that imports nothing (its
    // `production` export condition), so not even the module order moves. Lazily loaded chunks
    // keep their content but not their hashed names, which the entry lists.
    const unhashed = (code: string) => code.replace(/([\w.-]+)-[\w-]{8}\.js/g, '$1.js');
    const [left, right] = [unhashed(without.entry), unhashed(gatedBuild.entry)];
    let start = 0;
    while (start < left.length && left[start] === right[start]) start++;
    let end = 0;
    while (end < left.length - start && left.at(-1 - end) === right.at(-1 - end)) end++;
    expect({
      without: left.slice(start, left.length - end),
      gated: right.slice(start, right.length - end),
    }).toEqual({ without: '', gated: ',!1' });
    // Ungated, the element and the production stub are all that ships: no panel.
    for (const marker of PANEL_MARKERS) {
      expect(gatedBuild.allJs).not.toContain(marker);
      expect(ungatedBuild.allJs).not.toContain(marker);
    }
  }, 120_000);
});
