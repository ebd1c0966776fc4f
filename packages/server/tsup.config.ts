import { defineLibraryConfig } from '../../tsup.config.base';

export default [
  defineLibraryConfig({ index: 'src/index.ts' }),
  // The CLI: ESM only, executable, no declarations.
  defineLibraryConfig(
    { cli: 'src/cli.ts' },
    { format: ['esm'], dts: false, clean: false, banner: { js: '#!/usr/bin/env node' } },
  ),
];
