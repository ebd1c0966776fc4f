export type { ReconnectOptions } from './backoff.js';
export type {
  ChannelEvents,
  ChannelSnapshot,
  ChannelState,
  DiscontinuityEvent,
} from './channel.js';
export { Channel } from './channel.js';
export { MAX_CHANNEL_NAME_LENGTH, validateChannelName } from './channelName.js';
export type { ChannelPresence, PresenceHold } from './channelPresence.js';
export type { ChannelTyping } from './channelTyping.js';
export type { ErrorCode } from './codes.js';
export { ErrorCodes } from './codes.js';
export type { ConnectionSnapshot, ConnectionState } from './connectionState.js';
export type { ConnectivitySource } from './connectivity.js';
export { browserConnectivity, noConnectivitySignals } from './connectivity.js';
export type {
  ClientEvents,
  PresenceOptions,
  QueueOptions,
  RealtimeClient,
  RealtimeOptions,
  TypingOptions,
} from './createRealtime.js';
export { createRealtime } from './createRealtime.js';
export type {
  ChannelDefinition,
  ChannelDefinitionOptions,
  EventMap,
  EventSchemas,
  InferPresence,
  InferPresenceInput,
  InferPublishEvents,
  InferReceiveEvents,
} from './defineChannel.js';
export { defineChannel, isChannelDefinition } from './defineChannel.js';
export type { RealtimeErrorOptions, ValidationIssue } from './errors.js';
export {
  AuthError,
  ConfigError,
  ConnectionError,
  InvalidChannelNameError,
  isRealtimeError,
  MessageTooLargeError,
  NotSupportedError,
  PublishRejectedError,
  PublishTimeoutError,
  QueueOverflowError,
  RealtimeError,
  ValidationError,
} from './errors.js';
export type { QueueStatus } from './internal/publishQueue.js';
export type { MessageOf, PublishOptions, RealtimeMessage } from './message.js';
export type { PresenceEvent, PresenceMember } from './presenceSet.js';
export type { LocalStorageQueueOptions, QueuedMessage, QueueStorage } from './queueStorage.js';
export { localStorageQueueStorage, memoryQueueStorage } from './queueStorage.js';
export type { StandardSchemaV1 } from './standardSchema.js';
export type { ReadableStore } from './store.js';
export { Store } from './store.js';
export type { Timers } from './timers.js';
export { systemTimers } from './timers.js';
