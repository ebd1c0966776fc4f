export type {
  RealtimeClientProviderProps,
  RealtimeConfigProviderProps,
  RealtimeProviderProps,
} from './RealtimeProvider.js';
export { RealtimeProvider } from './RealtimeProvider.js';
export type {
  ChannelOf,
  ChannelRef,
  PresenceChannelDefinition,
  PresenceInputOf,
  PresenceOf,
  PublishEventsOf,
  ReceiveEventsOf,
  UntypedPresenceRef,
} from './types.js';
export { useChannel } from './useChannel.js';
export { useChannelState } from './useChannelState.js';
export { useConnectionState, useQueueStatus } from './useConnectionState.js';
export type { EventMessageOf } from './useEvent.js';
export { useEvent } from './useEvent.js';
export type { UseMessagesOptions } from './useMessages.js';
export { useMessages } from './useMessages.js';
export type { UsePresenceOptions, UsePresenceResult } from './usePresence.js';
export { usePresence } from './usePresence.js';
export { usePresenceListener } from './usePresenceListener.js';
export type { UsePublishResult } from './usePublish.js';
export { usePublish } from './usePublish.js';
export { useRealtime } from './useRealtime.js';
export type { UseTypingResult } from './useTyping.js';
export { useTyping } from './useTyping.js';
