export type { SseTransportOptions } from './sseTransport.js';
export { sseTransport } from './sseTransport.js';
