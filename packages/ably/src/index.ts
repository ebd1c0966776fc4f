export type { AblyModule, AblyTransportOptions } from './ablyTransport.js';
export { ablyTransport } from './ablyTransport.js';
