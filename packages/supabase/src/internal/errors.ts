import { AuthError, ConnectionError, ErrorCodes, RealtimeError } from '@patchbay/realtime-core';
import { productionMessage } from '@patchbay/realtime-core/transport';

/** Supabase Realtime's refusals of a token (bad signature, expired, malformed, missing claims). */
const TOKEN_REFUSAL = /jwt|token|expired|signature|claim/i;
/** Refusals of a channel by Realtime Authorization (RLS on `realtime.messages`) or settings. */
const ACCESS_REFUSAL = /unauthori[sz]ed|forbidden|permission|not allowed|private/i;

/**
 * The server's reason from a refused join, or `undefined` when the error is the socket's (a
 * close or transport error: realtime-js then rejoins by itself).
 */
export function refusalReason(error: Error | undefined): string | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  // A server reply is a plain object (`{ reason: '…' }`); a socket failure is an Event.
  if (Object.getPrototypeOf(cause) !== Object.prototype) return undefined;
  const reason = (cause as { reason?: unknown; message?: unknown }).reason ?? error?.message;
  return typeof reason === 'string' && reason.length > 0 ? reason : (error?.message ?? 'refused');
}

export function isTokenRefusal(reason: string): boolean {
  return TOKEN_REFUSAL.test(reason);
}

/** A join Supabase refused, as the error core expects. */
export function joinError(reason: string, channel: string): RealtimeError {
  if (isTokenRefusal(reason)) {
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `Supabase Realtime refused the token for "${channel}" (${reason}): make auth() return a valid, unexpired JWT signed with the project's JWT secret.`
        : productionMessage(ErrorCodes.AuthRejected, channel, reason),
    );
  }
  if (ACCESS_REFUSAL.test(reason)) {
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `Supabase Realtime refused to join "${channel}" (${reason}): allow it with an RLS policy on realtime.messages for this user, or turn off "private" for public channels.`
        : productionMessage(ErrorCodes.AuthRejected, channel, reason),
    );
  }
  return new RealtimeError(
    ErrorCodes.TransportError,
    process.env.NODE_ENV !== 'production'
      ? `Supabase Realtime refused to join "${channel}" (${reason}).`
      : productionMessage(ErrorCodes.TransportError, channel, reason),
    { retryable: true },
  );
}

export const lostError = (reason: string, cause?: unknown): RealtimeError =>
  new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `The Supabase Realtime link dropped (${reason}).`
      : productionMessage(ErrorCodes.ConnectionLost, reason),
    {
      cause,
      retryable: true,
    },
  );
