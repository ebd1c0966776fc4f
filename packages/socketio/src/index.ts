export type { SocketIOTransportOptions } from './socketioTransport.js';
export { socketioTransport } from './socketioTransport.js';
