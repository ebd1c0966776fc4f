export type { Broker, BrokerEvent, HistoryPage, StoredMessage } from './broker.js';
export type { HubServer, HubServerOptions } from './createHubServer.js';
export { createHubServer } from './createHubServer.js';
export type {
  PublishHandlerOptions,
  PublishReply,
  PublishRequestBody,
} from './createPublishHandler.js';
export { createPublishHandler, DEFAULT_PUBLISH_PATH } from './createPublishHandler.js';
export type { InboundFrame, OutboundFrame, Reply, WireError } from './frames.js';
export { inboundFrame } from './frames.js';
export type { HubAction, HubOptions, HubPublishOptions, HubStats, SessionLink } from './hub.js';
export { Hub, HubSession } from './hub.js';
export { HubError } from './hubError.js';
export type { MemoryBrokerOptions } from './memoryBroker.js';
export { createMemoryBroker } from './memoryBroker.js';
export type { RedisBroker, RedisBrokerOptions } from './redisBroker.js';
export { createRedisBroker } from './redisBroker.js';
export { signedTokenAuthenticator, signToken, verifySignedToken } from './signedToken.js';
export type { AttachSocketIOOptions, SocketIOEndpoint } from './socketio/attachSocketIO.js';
export { attachSocketIO, DEFAULT_SOCKETIO_PATH, socketIORoom } from './socketio/attachSocketIO.js';
export type { FetchHandler, SseHandlerOptions } from './sse/createSseHandler.js';
export { createSseHandler, DEFAULT_SSE_PATH } from './sse/createSseHandler.js';
export type { NodeHandler } from './sse/createSseNodeHandler.js';
export { createSseNodeHandler } from './sse/createSseNodeHandler.js';

import { Hub, type HubOptions } from './hub.js';

/** Create a hub. Attach endpoints with `attachSocketIO(hub, httpServer)` or use `createHubServer`. */
export function createHub(options: HubOptions = {}): Hub {
  return new Hub(options);
}
