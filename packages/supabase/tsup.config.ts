import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig(
  { index: 'src/index.ts', server: 'src/server/index.ts' },
  { external: ['@supabase/realtime-js', 'jose'] },
);
