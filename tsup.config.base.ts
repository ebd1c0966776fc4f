import { defineConfig, type Options } from 'tsup';

/**
 * The one build every published package uses: ESM + CJS + declarations per format, so the
 * `exports` map can point `import` and `require` at types that match their module system.
 */
export function defineLibraryConfig(entry: Record<string, string>, overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    splitting: false,
    target: 'es2022',
    outDir: 'dist',
    ...overrides,
  });
}
