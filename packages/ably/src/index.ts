export type {
  AblyTransportOptions,
  RealtimeConstructor,
  RecoveryKeyStorage,
} from './ablyTransport.js';
export { ablyTransport } from './ablyTransport.js';
