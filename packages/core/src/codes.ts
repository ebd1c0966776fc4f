/**
 * Every error code Patchbay raises, in one place. Codes are stable strings: match on them
 * (`error.code === ErrorCodes.AuthRejected`) rather than on messages, which may be reworded.
 */
export const ErrorCodes = {
  /** Options passed to `createRealtime` / `createRealtimeFromConfig` are invalid. */
  InvalidConfig: 'invalid_config',
  /** A channel name uses characters or a length that not every provider accepts. */
  InvalidChannelName: 'invalid_channel_name',
  /**
   * A payload failed its channel schema (outgoing: thrown; incoming: reported and dropped), or an
   * event name or a restored queue entry is invalid.
   */
  ValidationFailed: 'validation_failed',
  /** The offline queue is full; the publish was not queued. */
  QueueOverflow: 'queue_overflow',
  /** The provider did not acknowledge a publish in time. */
  PublishTimeout: 'publish_timeout',
  /** The provider refused a publish (NACK). */
  PublishRejected: 'publish_rejected',
  /** A payload is larger than the provider accepts. */
  MessageTooLarge: 'message_too_large',
  /** Authentication or authorization was refused. Retrying with the same credentials cannot help. */
  AuthRejected: 'auth_rejected',
  /** The transport cannot do what was asked, and core cannot emulate it. */
  NotSupported: 'not_supported',
  /** A connection attempt failed (network, server down). Retried with backoff. */
  ConnectionFailed: 'connection_failed',
  /** The link dropped after it was established. Retried with backoff. */
  ConnectionLost: 'connection_lost',
  /** The reconnect policy's `maxAttempts` ran out. */
  ReconnectExhausted: 'reconnect_exhausted',
  /** An operation needs a connection the app closed with `close()`. */
  ConnectionClosed: 'connection_closed',
  /** The provider sent something Patchbay cannot read. */
  InvalidFrame: 'invalid_frame',
  /** The provider throttled this connection. */
  RateLimited: 'rate_limited',
  /** The adapter package for the configured provider is not installed. */
  AdapterMissing: 'adapter_missing',
  /** An app handler threw while handling a message; other handlers still ran. */
  HandlerFailed: 'handler_failed',
  /** A transport-level failure that fits no other code. */
  TransportError: 'transport_error',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
