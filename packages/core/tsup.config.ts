import { defineLibraryConfig } from '../../tsup.config.base';

export default defineLibraryConfig({
  index: 'src/index.ts',
  config: 'src/config.ts',
  server: 'src/server/index.ts',
  transport: 'src/transport/index.ts',
  http: 'src/transport/http.ts',
  memory: 'src/memory/index.ts',
  inspect: 'src/inspect.ts',
});
