import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig(
  { index: 'src/index.ts', production: 'src/production.ts', disabled: 'src/disabled.ts' },
  { external: ['react', '@patchbay/realtime-core', '@patchbay/realtime-react'] },
);
