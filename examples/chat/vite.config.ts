import { defineConfig } from 'vite';

// JSX via esbuild's automatic runtime: no React plugin needed for this example.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', sourcemap: true },
});
