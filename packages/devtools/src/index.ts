import { RealtimeDevtools as Panel } from './RealtimeDevtools.js';

export type { RealtimeDevtoolsProps } from './RealtimeDevtools.js';

/**
 * The devtools panel, in development only: when `process.env.NODE_ENV` is `'production'` it
 * renders nothing, and a bundler that replaces `process.env.NODE_ENV` (Vite, Next.js, webpack,
 * esbuild with `define`) drops the panel's code from the production bundle. To show the panel in
 * a production build, import it from `@patchbay/realtime-devtools/production`.
 */
export const RealtimeDevtools: typeof Panel =
  process.env.NODE_ENV === 'production' ? () => null : Panel;
