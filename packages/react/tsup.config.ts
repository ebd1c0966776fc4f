import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig(
  { index: 'src/index.ts', query: 'src/query/index.ts' },
  { external: ['react', '@tanstack/react-query', '@patchbay/realtime-core'] },
);
