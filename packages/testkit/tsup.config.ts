import { defineLibraryConfig } from '../../tsup.config.base';

export default [
  defineLibraryConfig(
    {
      index: 'src/index.ts',
      pusher: 'src/pusher/index.ts',
      ably: 'src/ably/index.ts',
      supabase: 'src/supabase/index.ts',
    },
    { external: ['vitest', '@patchbay/realtime-core'] },
  ),
  // The emulators' CLI: ESM only, executable, no declarations.
  defineLibraryConfig(
    { cli: 'src/cli.ts' },
    { format: ['esm'], dts: false, clean: false, banner: { js: '#!/usr/bin/env node' } },
  ),
];
