import { defineConfig, mergeConfig } from 'vitest/config';
import { baseTestConfig } from '../../vitest.config.base';

export default mergeConfig(
  baseTestConfig,
  defineConfig({
    test: {
      environment: 'jsdom',
      typecheck: { include: ['src/**/*.test-d.ts', 'src/**/*.test-d.tsx'] },
    },
  }),
);
