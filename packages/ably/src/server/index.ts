export type { AblyServerPublisherOptions } from './ablyServerPublisher.js';
export { ablyServerPublisher } from './ablyServerPublisher.js';
export type { AblyTokenHandlerOptions } from './createAblyTokenHandler.js';
export { createAblyTokenHandler } from './createAblyTokenHandler.js';
export type { AblyCapability, CreateTokenRequestOptions } from './createTokenRequest.js';
export { createTokenRequest } from './createTokenRequest.js';
export type { AblyServerPublish, AblyServerPublishOptions } from './publishFromServer.js';
export { publishFromServer } from './publishFromServer.js';
