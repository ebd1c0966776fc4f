export type { PusherEnvelope } from '../internal/envelope.js';
export type {
  PusherAuthenticate,
  PusherAuthorize,
  PusherAuthorizeRequest,
  PusherIdentity,
} from '../internal/serverHttp.js';
export type { PusherAuthHandlerOptions } from './createPusherAuthHandler.js';
export { createPusherAuthHandler } from './createPusherAuthHandler.js';
export type { PusherPublishHandlerOptions } from './createPusherPublishHandler.js';
export { createPusherPublishHandler } from './createPusherPublishHandler.js';
export type { ServerPublish } from './publishFromServer.js';
export { publishFromServer } from './publishFromServer.js';
export type { PusherServerPublisherOptions } from './pusherServerPublisher.js';
export { pusherServerPublisher } from './pusherServerPublisher.js';
