import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig(
  { index: 'src/index.ts' },
  { external: ['vitest', '@patchbay/realtime-core'] },
);
