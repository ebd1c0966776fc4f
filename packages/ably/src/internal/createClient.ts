import type { RealtimeError } from '@patchbay/realtime-core';
import type { TransportConnectRequest } from '@patchbay/realtime-core/transport';
import type * as Ably from 'ably';
import type { AblyTransportSettings } from './AblyTransport.js';
import { RECOVERY_KEY } from './options.js';

/**
 * Build the transport's own client. Ably's retry timings come from the app's reconnect policy
 * (the app's own `clientOptions` win): ably-js retries a dropped connection after
 * `disconnectedRetryTimeout` (it grows that up to 2× with jitter), and after
 * `connectionStateTtl` (2 min on Ably) every `suspendedRetryTimeout`; `realtimeRequestTimeout`
 * bounds each attempt and each attach.
 */
export function createClient(
  options: AblyTransportSettings,
  request: TransportConnectRequest,
  authRefused: (error: RealtimeError) => void,
): Ably.RealtimeClient {
  const { Realtime, clientOptions, recover } = options;
  // The entry points check that there is a client or a constructor.
  if (!Realtime) throw new TypeError('pass Realtime or client');
  const { baseDelayMs, maxDelayMs, connectTimeoutMs } = request.reconnect;
  let token = request.token;
  const recoveryKey = recover?.storage.getItem(recover.key ?? RECOVERY_KEY);
  return new Realtime({
    disconnectedRetryTimeout: baseDelayMs,
    suspendedRetryTimeout: maxDelayMs,
    realtimeRequestTimeout: connectTimeoutMs,
    ...clientOptions,
    ...(token !== undefined
      ? {
          // Core's token from the app's auth() for the first request, then a fresh one each
          // time Ably needs credentials (a reconnect after the token expired, a renewal).
          authCallback: (_params, callback) => {
            const first = token;
            token = undefined;
            (first !== undefined ? Promise.resolve(first) : request.refreshToken()).then(
              (value) => callback(null, parseToken(value ?? '')),
              (error: RealtimeError) => {
                if (error?.retryable === false) authRefused(error);
                // A string is Ably's retryable auth-callback failure (80019): it tries again.
                callback(error instanceof Error ? error.message : String(error), null);
              },
            );
          },
        }
      : {}),
    ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
    ...(recoveryKey ? { recover: recoveryKey } : {}),
    echoMessages: request.echo,
    autoConnect: false,
  });
}

/** Core's token from `auth()`: an Ably token string, or a JSON TokenRequest / TokenDetails. */
function parseToken(token: string): string | Ably.TokenRequest | Ably.TokenDetails {
  if (!token.startsWith('{')) return token;
  try {
    return JSON.parse(token) as Ably.TokenRequest | Ably.TokenDetails;
  } catch {
    return token;
  }
}
