export type { ReconnectOptions, ResolvedReconnectOptions } from '../backoff.js';
export { computeBackoffDelay, DEFAULT_RECONNECT, resolveReconnectOptions } from '../backoff.js';
export { DedupeWindow } from '../dedupe.js';
export type { WireErrorLike } from '../errors.js';
export { ERRORS_DOC_URL, errorFromWire, productionMessage } from '../errors.js';
export type { PresenceEvent, PresenceMember } from '../presenceSet.js';
export { PresenceSet } from '../presenceSet.js';
export {
  isDiscontinuityFrame,
  isPresenceFrame,
  isTransportMessage,
  malformedFrameError,
} from './inboundFrames.js';
export type {
  Transport,
  TransportCapabilities,
  TransportConnection,
  TransportConnectRequest,
  TransportHistoryOptions,
  TransportLinkMode,
  TransportMessage,
  TransportPresenceEvent,
  TransportPresenceMember,
  TransportPublish,
  TransportReconnected,
  TransportReconnecting,
  TransportSink,
  TransportSubscribeOptions,
  TransportSubscribeResult,
} from './types.js';
