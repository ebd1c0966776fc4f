import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig(
  { index: 'src/index.ts', modular: 'src/modular.ts', server: 'src/server/index.ts' },
  { external: ['ably', 'ably/modular'] },
);
