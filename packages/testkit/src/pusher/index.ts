export type { PusherEmulator, PusherEmulatorOptions } from './createPusherEmulator.js';
export { createPusherEmulator } from './createPusherEmulator.js';
