export { createMemoryHub, MemoryHub } from './memoryHub.js';
export type { MemoryTransportOptions } from './memoryTransport.js';
export { memoryTransport } from './memoryTransport.js';
export type {
  MemoryAuthRejection,
  MemoryHubAction,
  MemoryHubOptions,
  MemoryHubStats,
} from './types.js';
