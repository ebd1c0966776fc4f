import type { RealtimeDevtoolsProps } from './RealtimeDevtools.js';

export type { RealtimeDevtoolsProps };

/**
 * What `@patchbay/realtime-devtools` resolves to in a production build (the `production` export
 * condition, set by Vite, webpack and Next.js): no panel and no imports, so the app's module graph
 * and bundle are those of an app without the devtools.
 */
export function RealtimeDevtools(_props: RealtimeDevtoolsProps): null {
  return null;
}
