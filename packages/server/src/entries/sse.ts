/**
 * `@patchbay/realtime-server/sse`: what a web-standard host (a Next.js route handler, Hono, Deno)
 * needs to serve the hub's SSE endpoints — no Socket.IO, no Redis client.
 */
export type { FetchHandler, SseHandlerOptions } from '../sse/createSseHandler.js';
export { createSseHandler, DEFAULT_SSE_PATH } from '../sse/createSseHandler.js';
export type { NodeHandler } from '../sse/createSseNodeHandler.js';
export { createSseNodeHandler } from '../sse/createSseNodeHandler.js';
