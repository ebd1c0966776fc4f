/**
 * `@patchbay/realtime-server`: the hub, its brokers' interface and the memory broker, the SSE and
 * publish handlers, and `createHubServer` (which loads Socket.IO only when called). The Socket.IO
 * endpoint and the Redis broker have their own entries (`/socketio`, `/redis`), so importing this
 * one loads neither `socket.io` nor `ioredis`.
 */
export type { Broker, BrokerEvent, HistoryPage, StoredMessage } from './broker.js';
export type { HubServer, HubServerOptions } from './createHubServer.js';
export { createHubServer } from './createHubServer.js';
export type {
  PublishHandlerOptions,
  PublishReply,
  PublishRequestBody,
} from './createPublishHandler.js';
export { createPublishHandler, DEFAULT_PUBLISH_PATH } from './createPublishHandler.js';
export type { InboundFrame, MessageFrame, OutboundFrame, Reply, WireError } from './frames.js';
export { inboundFrame } from './frames.js';
export type {
  HubAction,
  HubOptions,
  HubPublishOptions,
  HubStats,
  LinkRooms,
  RoomDelivery,
  SessionLink,
} from './hub.js';
export { Hub, HubSession } from './hub.js';
export { HubError } from './hubError.js';
export type { MemoryBrokerOptions } from './memoryBroker.js';
export { createMemoryBroker } from './memoryBroker.js';
export { signedTokenAuthenticator, signToken, verifySignedToken } from './signedToken.js';
export type { FetchHandler, SseHandlerOptions } from './sse/createSseHandler.js';
export { createSseHandler, DEFAULT_SSE_PATH } from './sse/createSseHandler.js';
export type { NodeHandler } from './sse/createSseNodeHandler.js';
export { createSseNodeHandler } from './sse/createSseNodeHandler.js';

import { Hub, type HubOptions } from './hub.js';

/**
 * Create a hub. Serve it with `createHubServer`, or mount its endpoints yourself: `createSseHandler`
 * (`/sse`), `attachSocketIO` (`/socketio`). Several processes share state through
 * `createRedisBroker` (`/redis`).
 */
export function createHub(options: HubOptions = {}): Hub {
  return new Hub(options);
}
