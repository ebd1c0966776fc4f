import { defineLibraryConfig } from '../../tsup.config.base';

export default [
  defineLibraryConfig({
    index: 'src/index.ts',
    sse: 'src/entries/sse.ts',
    socketio: 'src/entries/socketio.ts',
    redis: 'src/entries/redis.ts',
  }),
  // The CLI: ESM only, executable, no declarations.
  defineLibraryConfig(
    { cli: 'src/cli.ts' },
    { format: ['esm'], dts: false, clean: false, banner: { js: '#!/usr/bin/env node' } },
  ),
];
