export type {
  MemoryAuthRejection,
  MemoryHubAction,
  MemoryHubOptions,
  MemoryHubStats,
} from './memoryHub.js';
export { createMemoryHub, MemoryHub } from './memoryHub.js';
export type { MemoryTransportOptions } from './memoryTransport.js';
export { memoryTransport } from './memoryTransport.js';
