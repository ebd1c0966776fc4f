import { defineConfig } from 'vitest/config';

/** Shared test settings: unit tests next to the code, type tests as `*.test-d.ts`. */
export const baseTestConfig = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    typecheck: {
      enabled: true,
      include: ['src/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    restoreMocks: true,
  },
});
