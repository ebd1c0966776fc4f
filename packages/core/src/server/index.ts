export { createServerPublisher } from './createServerPublisher.js';
export type {
  AblyRestInstance,
  AblyRestMessage,
  InProcessHub,
  PusherServerCredentials,
  PusherServerInstance,
  ServerPublishBackend,
  ServerPublisher,
  ServerPublisherExtras,
  ServerPublishOptions,
  ServerPublishRequest,
} from './types.js';
