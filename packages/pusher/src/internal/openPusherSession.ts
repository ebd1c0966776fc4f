import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  RealtimeError,
  type TransportConnectRequest,
} from '@patchbay/realtime-core';
import type PusherClient from 'pusher-js';
import type { Options as PusherJsOptions } from 'pusher-js';
import type { FetchLike } from './endpointRequest.js';
import { lostError, PusherSession } from './pusherSession.js';
import { createAuthorizers } from './sessionAuthorizers.js';

export interface OpenSessionConfig {
  Pusher: new (key: string, options: PusherJsOptions) => PusherClient;
  key: string;
  pusherOptions: Partial<PusherJsOptions> & { cluster: string };
  connectTimeoutMs: number;
  fetch: FetchLike;
  authEndpoint: string;
  /** True when the app publishes as client events (no publish endpoint). */
  acceptClientMessages: boolean;
  /** Pusher's client-event rate limit per connection, which the session paces below. */
  clientEventsPerSecond: number;
}

export interface SessionHooks {
  /** The session exists (pusher-js is connecting): operations may target it from now on. */
  created(session: PusherSession): void;
  /** The link dropped after the attempt succeeded. Called once. */
  lost(session: PusherSession, error: RealtimeError): void;
}

/**
 * One connection attempt: a fresh pusher-js client, connected and signed in through the auth
 * endpoint (which is how the token is checked and the clientId learned). Any state pusher-js
 * would recover from by itself (`connecting_in`, a state other than `connected`) ends the attempt
 * or reports the session lost instead, so core's policy is the only one retrying.
 */
export function openPusherSession(
  config: OpenSessionConfig,
  request: TransportConnectRequest,
  hooks: SessionHooks,
): Promise<{ session: PusherSession; clientId: string; socketId: string }> {
  return new Promise((resolve, reject) => {
    let session: PusherSession | undefined;
    let settled = false;
    let lastError: RealtimeError | undefined;
    const fail = (error: RealtimeError) => {
      if (settled) return;
      settled = true;
      session?.close(error);
      session?.pusher.disconnect();
      reject(error);
    };
    const authorizers = createAuthorizers({
      fetch: config.fetch,
      authEndpoint: config.authEndpoint,
      token: request.token,
      session: () => session,
      onSigninError: fail,
    });
    let pusher: PusherClient;
    try {
      pusher = new config.Pusher(config.key, {
        ...config.pusherOptions,
        unavailableTimeout: config.connectTimeoutMs,
        channelAuthorization: { customHandler: authorizers.channel },
        userAuthentication: { customHandler: authorizers.user },
      });
    } catch (error) {
      reject(
        new ConfigError(
          `pusher-js refused its options: ${(error as Error).message}. Check "key", "cluster" and "pusherOptions".`,
          { cause: error },
        ),
      );
      return;
    }
    const current = new PusherSession(pusher, request.sink, {
      echo: request.echo,
      acceptClientMessages: config.acceptClientMessages,
      clientEventsPerSecond: config.clientEventsPerSecond,
    });
    session = current;
    hooks.created(current);
    const lost = (error: RealtimeError) => hooks.lost(current, error);
    pusher.connection.bind('error', (event: unknown) => {
      const code = (event as { data?: { code?: unknown } } | undefined)?.data?.code;
      // code null: a non-fatal channel-level complaint, handled by the session. 4301: a client
      // event over the rate limit was dropped; the link is fine.
      if (code === null || code === 4301) return;
      lastError = pusherError(event);
      if (!lastError.retryable) fail(lastError);
    });
    // pusher-js announces its own retry after a dropped socket (while still saying `connected`).
    pusher.connection.bind('connecting_in', () => {
      if (settled) lost(lastError ?? lostError('the socket closed'));
    });
    pusher.connection.bind('state_change', ({ current: state }: { current: string }) => {
      if (settled) {
        if (state !== 'connected') lost(lastError ?? lostError(`pusher-js went ${state}`));
        return;
      }
      if (state === 'connected') {
        pusher.signin();
        void pusher.user.signinDonePromise.then(() => {
          if (settled || pusher.connection.state !== 'connected') return;
          settled = true;
          const { id } = pusher.user.user_data as { id: string };
          resolve({ session: current, clientId: id, socketId: pusher.connection.socket_id });
        });
      } else if (state === 'unavailable') {
        fail(
          new ConnectionError(
            ErrorCodes.ConnectionFailed,
            `Could not connect to Pusher within ${config.connectTimeoutMs} ms. Check the network, "cluster" and "pusherOptions" (wsHost/wsPort).`,
            { retryable: true },
          ),
        );
      } else if (state === 'failed') {
        fail(
          new ConfigError(
            'pusher-js has no usable transport here. Check "pusherOptions.enabledTransports".',
          ),
        );
      } else if (pusher.connection.socket_id) {
        // A drop between the socket opening and sign-in: this attempt is over.
        fail(lastError ?? lostError(`pusher-js went ${state} before signing in`));
      }
    });
    if (request.signal.aborted) fail(abortError(request.signal.reason));
    request.signal.addEventListener('abort', () => fail(abortError(request.signal.reason)), {
      once: true,
    });
  });
}

function pusherError(event: unknown): RealtimeError {
  const { type, data, error } = (event ?? {}) as {
    type?: string;
    data?: { code?: unknown; message?: unknown };
    error?: unknown;
  };
  const code = typeof data?.code === 'number' ? data.code : undefined;
  const reason = typeof data?.message === 'string' ? data.message : (type ?? 'unknown error');
  if (code === 4009) {
    return new AuthError(
      `Pusher refused this connection (4009 ${reason}). Sign in again with a valid token.`,
    );
  }
  if (code === 4001 || code === 4003) {
    return new ConfigError(
      `Pusher refused the app key (${code} ${reason}). Check "key" and "cluster".`,
    );
  }
  if (code !== undefined && code >= 4000 && code < 4100) {
    return new ConnectionError(
      ErrorCodes.ConnectionFailed,
      `Pusher refused the connection (${code} ${reason}). Check the app's status in the Pusher dashboard.`,
    );
  }
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    `Pusher reported ${type ?? 'an error'}: ${reason}.`,
    { cause: error, retryable: true },
  );
}

function abortError(reason: unknown): RealtimeError {
  return reason instanceof RealtimeError
    ? reason
    : new ConnectionError(ErrorCodes.ConnectionFailed, 'The connection attempt was abandoned.', {
        retryable: true,
      });
}
