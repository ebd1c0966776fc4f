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
    // Code shared by several entries (`index` and `/config`, later `/server`, `/query`) goes into one
    // chunk per format. Without splitting each entry bundles its own copy of core, so
    // `createRealtimeFromConfig()` would throw a `ConfigError` that fails `instanceof ConfigError`
    // imported from the main entry, while the shared .d.ts claims they are the same class.
    // tsup calls CJS splitting experimental; it was checked by requiring both CJS entries in Node.
    splitting: true,
    target: 'es2022',
    outDir: 'dist',
    ...overrides,
  });
}
