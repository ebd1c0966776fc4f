export type { AuthRules } from './authRules.js';
export { createAuthRules } from './authRules.js';
export { describeTransportConformance } from './describeTransportConformance.js';
export type { AuthRejection, ConformanceClientOptions, ConformanceHarness } from './harness.js';
export type { MemoryHarnessOptions } from './memoryHarness.js';
export { createMemoryHarness } from './memoryHarness.js';
export type { WaitOptions } from './waitFor.js';
export { sleep, waitFor, waitForState } from './waitFor.js';
