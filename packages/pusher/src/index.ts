export type { PusherConstructor, PusherTransportOptions } from './pusherTransport.js';
export { pusherTransport } from './pusherTransport.js';
