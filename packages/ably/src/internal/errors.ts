import {
  AuthError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  RealtimeError,
} from '@patchbay/realtime-core';

/** The shape of Ably's `ErrorInfo` that the mapping reads. */
export interface AblyErrorLike {
  code?: number;
  statusCode?: number;
  message?: string;
}

function info(error: unknown): AblyErrorLike {
  return typeof error === 'object' && error !== null ? (error as AblyErrorLike) : {};
}

function describe(error: unknown): string {
  const { code, message } = info(error);
  return `${message ?? String(error)}${code !== undefined ? ` (Ably error ${code})` : ''}`;
}

/** 401xx/403xx are Ably's authentication and permission errors: retrying cannot help. */
export function isAuthError(error: unknown): boolean {
  const { code, statusCode } = info(error);
  // 80019: fetching a token failed. Ably retries it (RSA4c) unless the auth server said 403
  // (RSA4d): a token endpoint that is briefly unreachable must not end the connection for good.
  if (code === 80019) return statusCode === 403;
  return (
    statusCode === 401 ||
    statusCode === 403 ||
    (code !== undefined && code >= 40100 && code < 40400)
  );
}

/** A connection attempt that Ably refused or could not complete. */
export function connectError(error: unknown, where: string): RealtimeError {
  if (error instanceof RealtimeError) return error;
  if (isAuthError(error)) {
    return new AuthError(
      `Ably refused the credentials: ${describe(error)}. Check the API key, or what your auth() returns (an Ably token or a signed TokenRequest); retrying with the same credentials cannot help.`,
      { cause: error },
    );
  }
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    `Could not connect to Ably at ${where}: ${describe(error)}. Check the network and the endpoint/port options; Patchbay retries with backoff.`,
    { cause: error, retryable: true },
  );
}

export function lostError(reason: string, cause?: unknown): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    `The Ably connection dropped (${reason}).`,
    { cause, retryable: true },
  );
}

/** A channel operation (attach, presence) that Ably refused. */
export function channelError(error: unknown, channel: string, action: string): RealtimeError {
  if (error instanceof RealtimeError) return error;
  if (isAuthError(error)) {
    return new AuthError(
      `Ably refused to ${action} on "${channel}": ${describe(error)}. Grant it in the token's capability (e.g. {"${channel}":["subscribe","publish","presence","history"]}).`,
      { cause: error },
    );
  }
  return new RealtimeError(
    ErrorCodes.TransportError,
    `Ably could not ${action} on "${channel}": ${describe(error)}.`,
    {
      cause: error,
      retryable: true,
    },
  );
}

/** A publish Ably NACKed (or failed because the link went away). */
export function publishError(error: unknown, channel: string, event: string): RealtimeError {
  if (error instanceof RealtimeError || isAuthError(error))
    return channelError(error, channel, 'publish');
  const { code, statusCode } = info(error);
  // 80xxx are connection-state errors (disconnected, suspended, closed): the publish is retried.
  if (code !== undefined && code >= 80000 && code < 90000) return lostError(describe(error), error);
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return new PublishRejectedError(channel, event, describe(error), { cause: error });
  }
  return lostError(`publish failed: ${describe(error)}`, error);
}
