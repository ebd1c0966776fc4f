export type {
  AblyAuthRejection,
  AblyEmulator,
  AblyEmulatorClientOptions,
  AblyEmulatorOptions,
} from './createAblyEmulator.js';
export { createAblyEmulator } from './createAblyEmulator.js';
