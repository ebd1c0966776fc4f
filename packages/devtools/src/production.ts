/**
 * The devtools panel in every build, production included (e.g. lazily loaded behind a flag to
 * debug a deployed app). The default entry renders nothing in production.
 */
export type { RealtimeDevtoolsProps } from './RealtimeDevtools.js';
export { RealtimeDevtools } from './RealtimeDevtools.js';
