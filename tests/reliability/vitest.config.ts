import { defineConfig } from 'vitest/config';

/**
 * The reliability suite: faults, fuzzing, security, leaks and multi-node runs against real
 * servers over loopback. Files run one at a time (they start servers and measure heaps), and
 * every scenario records its counts; the global teardown prints them as one table.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./src/summary/globalSetup.ts'],
    fileParallelism: false,
    // Leak tests call global.gc() between rounds.
    execArgv: ['--expose-gc'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
});
