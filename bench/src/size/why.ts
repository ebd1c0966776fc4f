/**
 * `pnpm size:why`: where the bytes of each size-limit entry go. Bundles every entry of
 * `.size-limit.json` the way @size-limit/esbuild does (same esbuild, minified, tree-shaken, the
 * same externals) with a metafile, and lists the inputs by minified bytes in the output, with
 * each input's estimated share of the gzipped total. With `--source`, the Patchbay packages are
 * bundled from their TypeScript sources instead of `dist`, so the list names source modules
 * (tsup merges each package into a few chunks). With `--messages`, it also reports the gzipped
 * size with every string literal of 30 characters or more (error messages and hints) replaced by
 * a one-letter string: how much of an entry is text and how much is code. Optional argument: a
 * filter on entry names.
 *
 *   tsx src/size/why.ts [--source] [--messages] [name filter]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';

interface Entry {
  name: string;
  import: Record<string, string>;
  ignore?: string[];
  limit?: string;
}

interface EsbuildResult {
  outputFiles: Array<{ contents: Uint8Array }>;
  metafile: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<EsbuildResult>;
}

// The esbuild that size-limit's own plugin uses, so the figures match `pnpm size`.
const require = createRequire(import.meta.url);
const plugin = createRequire(require.resolve('@size-limit/preset-small-lib')).resolve(
  '@size-limit/esbuild/package.json',
);
const esbuild = createRequire(plugin)('esbuild') as Esbuild;

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const entries = JSON.parse(readFileSync(join(root, '.size-limit.json'), 'utf8')) as Entry[];
const fromSource = process.argv.includes('--source');
const messages = process.argv.includes('--messages');
/** What counts as a message: a string or template literal with at least this much text. */
const MESSAGE_LENGTH = 30;
const filter = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const packages = resolve(root, '../packages');
/** `node_modules/@patchbay/realtime-x/dist/index.js` or `@patchbay/realtime-x` → its `src/index.ts`. */
const sourcePlugin = (external: readonly string[]) => ({
  name: 'patchbay-sources',
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: { path: string }) => { path: string; external?: boolean },
    ): void;
  }) {
    build.onResolve({ filter: /@patchbay\/realtime-[a-z]+/ }, (args) => {
      if (external.includes(args.path)) return { path: args.path, external: true };
      const [, name = '', subpath] =
        /@patchbay\/realtime-([a-z]+)(?:\/([a-z]+))?/.exec(args.path) ?? [];
      // A subpath entry (`@patchbay/realtime-core/transport`) is `src/transport/index.ts` or `src/config.ts`.
      const file = !subpath
        ? 'src/index.ts'
        : subpath === 'config'
          ? 'src/config.ts'
          : `src/${subpath}/index.ts`;
      return { path: join(packages, name, file) };
    });
  },
});

for (const entry of entries) {
  if (filter && !entry.name.includes(filter)) continue;
  const source = Object.entries(entry.import)
    .map(([file, names]) => {
      const path = JSON.stringify(
        fromSource ? file.replace(/^node_modules\/|\/dist\/index\.js$/g, '') : join(root, file),
      );
      return names === '*'
        ? `import * as all from ${path}\nconsole.log(all)`
        : `import ${names} from ${path}\nconsole.log(${names.replace(/[{}]/g, '')})`;
    })
    .join('\n');
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    treeShaking: true,
    format: 'esm',
    metafile: true,
    external: entry.ignore ?? [],
    plugins: fromSource ? [sourcePlugin(entry.ignore ?? [])] : [],
    outfile: join(root, 'size-why.js'),
  });
  const output = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzip = gzipSync(output, { level: 9 }).length;
  const inputs = Object.values(result.metafile.outputs)[0]?.inputs ?? {};
  const rows = Object.entries(inputs)
    .map(([file, { bytesInOutput }]) => ({ file: shorten(file), bytes: bytesInOutput }))
    .filter((row) => row.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  console.log(
    `\n${entry.name}: ${output.length} B minified, ${gzip} B gzipped${entry.limit ? ` (limit ${entry.limit})` : ''}`,
  );
  if (messages) {
    const { code, count } = withoutMessages(Buffer.from(output).toString('utf8'));
    const bare = gzipSync(code, { level: 9 }).length;
    console.log(
      `  without its ${count} messages (string literals of ≥${MESSAGE_LENGTH} characters): ${bare} B gzipped; messages ${gzip - bare} B`,
    );
  }
  for (const row of rows.slice(0, fromSource ? 25 : 15)) {
    const share = row.bytes / output.length;
    console.log(
      `  ${String(row.bytes).padStart(7)} B  ~${String(Math.round(share * gzip)).padStart(5)} B gz  ${row.file}`,
    );
  }
}

function shorten(file: string): string {
  const path = relative(root, resolve(root, file));
  const match = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(path);
  if (match?.[1]) return match[1];
  return path.replace(/^(\.\.\/)+/, '');
}

/** `code` with every string or template literal of ≥ MESSAGE_LENGTH characters of text as `"E"`. */
function withoutMessages(code: string): { code: string; count: number } {
  const file = ts.createSourceFile(
    'bundle.js',
    code,
    ts.ScriptTarget.ES2022,
    true,
    ts.ScriptKind.JS,
  );
  const edits: Array<[number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (node.text.length >= MESSAGE_LENGTH) edits.push([node.getStart(file), node.getEnd()]);
      return;
    }
    if (ts.isTemplateExpression(node)) {
      const text =
        node.head.text.length +
        node.templateSpans.reduce((sum, span) => sum + span.literal.text.length, 0);
      if (text >= MESSAGE_LENGTH) {
        edits.push([node.getStart(file), node.getEnd()]);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = code;
  for (const [start, end] of edits.sort((a, b) => b[0] - a[0]))
    out = `${out.slice(0, start)}"E"${out.slice(end)}`;
  return { code: out, count: edits.length };
}
