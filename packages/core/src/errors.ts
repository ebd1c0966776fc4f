import { type ErrorCode, ErrorCodes } from './codes.js';

export interface RealtimeErrorOptions {
  cause?: unknown;
  /** Set by transports: `true` when trying again later can succeed. */
  retryable?: boolean;
}

/**
 * The base of every error Patchbay raises. `code` is stable (see `ErrorCodes`); the message
 * says what went wrong and how to fix it.
 */
export class RealtimeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: RealtimeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RealtimeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/** Where every code's full explanation lives: production messages link to its entry. */
export const ERRORS_DOC_URL = 'https://github.com/patchbay/patchbay/blob/main/docs/errors.md';

/**
 * The production form of an error message: the stable code, the essential values, and the link
 * to the code's entry in `docs/errors.md`. Development builds keep the full text, which says
 * what is wrong and how to fix it; the choice is made where the error is raised, so bundlers
 * (which replace `process.env.NODE_ENV`) drop the text from production builds:
 *
 * ```ts
 * throw new ConfigError(
 *   process.env.NODE_ENV !== 'production'
 *     ? `reconnect.maxDelayMs must be ≥ baseDelayMs (${max} < ${base}); raise maxDelayMs.`
 *     : productionMessage(ErrorCodes.InvalidConfig, 'reconnect.maxDelayMs', max),
 * );
 * ```
 */
export function productionMessage(code: string, ...values: unknown[]): string {
  const detail = values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
  return `${code}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}: ${ERRORS_DOC_URL}#${code}`;
}

/** True for any error raised by Patchbay, whatever its subclass or realm. */
export function isRealtimeError(value: unknown): value is RealtimeError {
  return (
    value instanceof RealtimeError ||
    (value instanceof Error && KNOWN_CODES.has((value as { code?: unknown }).code as string))
  );
}

/** Credentials or authorization refused: the client stops retrying instead of looping. */
export class AuthError extends RealtimeError {
  constructor(message: string, options: RealtimeErrorOptions = {}) {
    super(ErrorCodes.AuthRejected, message, { ...options, retryable: false });
    this.name = 'AuthError';
  }
}

export interface ValidationIssue {
  message: string;
  /** Dotted path into the payload, e.g. `items[0].title`; empty for the payload itself. */
  path: string;
}

/**
 * A payload did not match its channel schema. `issues` lists every problem with its path.
 * For presence data `event` is `presence`, and `clientId` names the member whose incoming data
 * was ignored.
 */
export class ValidationError extends RealtimeError {
  readonly issues: readonly ValidationIssue[];
  readonly channel: string;
  readonly event: string;
  readonly clientId?: string;

  constructor(
    channel: string,
    event: string,
    direction: 'outgoing' | 'incoming',
    issues: readonly ValidationIssue[],
    /** Presence data rather than a message: `{}` for this client's own, `{ clientId }` for a member's. */
    presence?: { clientId?: string },
  ) {
    const detail = issues
      .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
      .join('; ');
    const outgoing = direction === 'outgoing';
    const what = presence
      ? outgoing
        ? 'presence data'
        : `presence data of "${presence.clientId}"`
      : `"${event}"`;
    super(
      ErrorCodes.ValidationFailed,
      process.env.NODE_ENV !== 'production'
        ? `${outgoing ? `Cannot ${presence ? 'set ' : 'publish '}` : 'Dropped incoming '}${what} on "${channel}": the payload does not match the channel schema (${detail}). ` +
            (outgoing
              ? `Fix the data you pass to ${presence ? 'presence' : 'publish()'}, or the schema in defineChannel().`
              : 'The publisher sent data this schema rejects; align both sides on one defineChannel().')
        : productionMessage(ErrorCodes.ValidationFailed, direction, channel, what, detail),
    );
    this.name = 'ValidationError';
    this.issues = issues;
    this.channel = channel;
    this.event = event;
    if (presence?.clientId !== undefined) this.clientId = presence.clientId;
  }
}

/** The offline queue is at its bound; nothing was queued. */
export class QueueOverflowError extends RealtimeError {
  constructor(maxSize: number) {
    super(
      ErrorCodes.QueueOverflow,
      process.env.NODE_ENV !== 'production'
        ? `The offline queue is full (${maxSize} messages waiting for a connection), so this publish was not queued. ` +
            'Wait for the client to reconnect, or raise `queue.maxSize` in createRealtime().'
        : productionMessage(ErrorCodes.QueueOverflow, maxSize),
    );
    this.name = 'QueueOverflowError';
  }
}

/** The provider did not acknowledge the publish within `publishTimeoutMs`. */
export class PublishTimeoutError extends RealtimeError {
  constructor(channel: string, event: string, timeoutMs: number) {
    super(
      ErrorCodes.PublishTimeout,
      process.env.NODE_ENV !== 'production'
        ? `No acknowledgement for "${event}" on "${channel}" within ${timeoutMs} ms. The message may or may not ` +
            'have been delivered; publishing it again with the same `id` is safe (receivers drop duplicates).'
        : productionMessage(ErrorCodes.PublishTimeout, channel, event, timeoutMs),
      { retryable: true },
    );
    this.name = 'PublishTimeoutError';
  }
}

/** The provider refused the publish. */
export class PublishRejectedError extends RealtimeError {
  constructor(channel: string, event: string, reason: string, options: RealtimeErrorOptions = {}) {
    super(
      ErrorCodes.PublishRejected,
      process.env.NODE_ENV !== 'production'
        ? `The provider rejected "${event}" on "${channel}": ${reason}`
        : productionMessage(ErrorCodes.PublishRejected, channel, event, reason),
      options,
    );
    this.name = 'PublishRejectedError';
  }
}

/** A payload exceeds what the provider accepts. */
export class MessageTooLargeError extends RealtimeError {
  constructor(provider: string, size: number, max: number) {
    super(
      ErrorCodes.MessageTooLarge,
      process.env.NODE_ENV !== 'production'
        ? `This message is ${size} bytes; ${provider} accepts at most ${max}. ` +
            'Send a reference (an id or URL) and fetch the large data separately, or split it.'
        : productionMessage(ErrorCodes.MessageTooLarge, provider, size, max),
    );
    this.name = 'MessageTooLargeError';
  }
}

/**
 * The transport cannot do this and core cannot emulate it. The development message names the
 * alternative; callers pass it as `process.env.NODE_ENV !== 'production' ? '…' : ''` so that
 * production bundles leave the text out.
 */
export class NotSupportedError extends RealtimeError {
  readonly provider: string;
  readonly feature: string;

  constructor(provider: string, feature: string, alternative: string) {
    super(
      ErrorCodes.NotSupported,
      process.env.NODE_ENV !== 'production'
        ? `${provider} does not support ${feature}. ${alternative}`
        : productionMessage(ErrorCodes.NotSupported, provider, feature),
    );
    this.name = 'NotSupportedError';
    this.provider = provider;
    this.feature = feature;
  }
}

/** Options or config are invalid; the message names the field. */
export class ConfigError extends RealtimeError {
  constructor(message: string, options: RealtimeErrorOptions = {}) {
    super(ErrorCodes.InvalidConfig, message, options);
    this.name = 'ConfigError';
  }
}

/** A channel name is not portable across providers. */
export class InvalidChannelNameError extends RealtimeError {
  readonly channel: string;

  constructor(channel: string, reason: string) {
    super(
      ErrorCodes.InvalidChannelName,
      process.env.NODE_ENV !== 'production'
        ? `Invalid channel name ${JSON.stringify(channel)}: ${reason}. ` +
            'Use 1–164 characters from A–Z a–z 0–9 and _ - = @ , . ; (the set every provider accepts).'
        : productionMessage(ErrorCodes.InvalidChannelName, channel, reason),
    );
    this.name = 'InvalidChannelNameError';
    this.channel = channel;
  }
}

/** A connection-level failure: attempt failed, link lost, closed, or attempts exhausted. */
export class ConnectionError extends RealtimeError {
  constructor(code: ErrorCode, message: string, options: RealtimeErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ConnectionError';
  }
}

/** An error as it travels over a wire: the hub's replies, SSE bodies, emulator answers. */
export interface WireErrorLike {
  code: string;
  message: string;
  retryable?: boolean;
}

/**
 * Rebuild a typed error from its wire form, so every transport reports a refusal the same way:
 * `auth_rejected` becomes `AuthError`, known codes keep their code, anything else is a
 * `transport_error`.
 */
export function errorFromWire(error: WireErrorLike | undefined, fallback?: string): RealtimeError {
  if (!error || typeof error.code !== 'string')
    return new RealtimeError(
      ErrorCodes.InvalidFrame,
      fallback ??
        (process.env.NODE_ENV !== 'production'
          ? 'The server sent an unreadable reply.'
          : productionMessage(ErrorCodes.InvalidFrame)),
    );
  if (error.code === ErrorCodes.AuthRejected) return new AuthError(error.message);
  const code = (KNOWN_CODES.has(error.code) ? error.code : ErrorCodes.TransportError) as ErrorCode;
  return new RealtimeError(code, error.message, { retryable: error.retryable ?? false });
}
