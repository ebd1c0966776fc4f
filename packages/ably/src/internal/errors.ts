import {
  AuthError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  RealtimeError,
} from '@patchbay/realtime-core';
import { productionMessage } from '@patchbay/realtime-core/transport';

/** The part of Ably's `ErrorInfo` the mapping reads. */
interface AblyErrorLike {
  code?: number;
  statusCode?: number;
  message?: string;
}

const info = (error: unknown): AblyErrorLike =>
  typeof error === 'object' && error !== null ? error : {};

const describe = (error: unknown): string => {
  const { code, message } = info(error);
  return `${message ?? String(error)}${code ? ` (Ably error ${code})` : ''}`;
};

/** 401xx/403xx are Ably's authentication and permission errors: retrying cannot help. */
export function isAuthError(error: unknown): boolean {
  const { code = 0, statusCode } = info(error);
  // 80019: fetching a token failed. Ably retries it (RSA4c) unless the auth server said 403
  // (RSA4d): a token endpoint that is briefly unreachable must not end the connection for good.
  if (code === 80019) return statusCode === 403;
  return statusCode === 401 || statusCode === 403 || (code >= 40100 && code < 40400);
}

/** Ably's connection failed for good (`failed`): refused credentials, or something else fatal. */
export function connectError(error: unknown): RealtimeError {
  return isAuthError(error)
    ? new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `Ably refused the credentials (${describe(error)}): check the key, or what auth() returns.`
          : productionMessage(ErrorCodes.AuthRejected, describe(error)),
        { cause: error },
      )
    : new ConnectionError(
        ErrorCodes.ConnectionFailed,
        process.env.NODE_ENV !== 'production'
          ? `Ably failed: ${describe(error)}.`
          : productionMessage(ErrorCodes.ConnectionFailed, describe(error)),
        { cause: error, retryable: true },
      );
}

export const lostError = (reason: string, cause?: unknown): RealtimeError =>
  new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `The Ably connection dropped (${reason}).`
      : productionMessage(ErrorCodes.ConnectionLost, reason),
    { cause, retryable: true },
  );

/** A channel operation (attach, presence, history) that Ably refused. */
export function channelError(error: unknown, channel: string, action: string): RealtimeError {
  if (error instanceof RealtimeError) return error;
  return isAuthError(error)
    ? new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `Ably refused to ${action} on "${channel}" (${describe(error)}): grant it in the token capability.`
          : productionMessage(ErrorCodes.AuthRejected, action, channel, describe(error)),
        { cause: error },
      )
    : new RealtimeError(
        ErrorCodes.TransportError,
        process.env.NODE_ENV !== 'production'
          ? `Ably could not ${action} on "${channel}": ${describe(error)}.`
          : productionMessage(ErrorCodes.TransportError, action, channel, describe(error)),
        { cause: error, retryable: true },
      );
}

/** A publish Ably NACKed, or failed because the connection was suspended or closed. */
export function publishError(error: unknown, channel: string, event: string): RealtimeError {
  const { code = 0, statusCode = 0 } = info(error);
  if (isAuthError(error)) return channelError(error, channel, 'publish');
  // 80xxx are connection-state errors (suspended, closed): core sends the publish again.
  return code < 80000 && statusCode >= 400 && statusCode < 500
    ? new PublishRejectedError(channel, event, describe(error), { cause: error })
    : lostError(`publish failed: ${describe(error)}`, error);
}
