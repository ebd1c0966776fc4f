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
import { watchTransportFailures } from './transportFailures.js';

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
 * endpoint (which is how the token is checked and the clientId learned). Anything pusher-js would
 * recover from by itself ends the attempt or reports the session lost instead, so core's policy
 * is the only one retrying: while connecting, every transport failing to open (see
 * `watchTransportFailures`), a close or `pusher:error` during the handshake, `connecting_in`,
 * `disconnected`, `unavailable` or `failed` fail the attempt at once; once connected, any state
 * other than `connected` reports the session lost. The only retry left to pusher-js is the
 * immediate one to TLS that Pusher asks for with 4000.
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
    let stopWatching = () => {};
    const fail = (error: RealtimeError) => {
      if (settled) return;
      settled = true;
      stopWatching();
      session?.close(error);
      if (session) abandonPusher(session.pusher);
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
      pusher = withNetworkBindings(
        config.Pusher,
        () =>
          new config.Pusher(config.key, {
            ...config.pusherOptions,
            unavailableTimeout: config.connectTimeoutMs,
            channelAuthorization: { customHandler: authorizers.channel },
            userAuthentication: { customHandler: authorizers.user },
          }),
      );
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
    // A socket that cannot open is silent in pusher-js's events until `unavailable`.
    stopWatching = watchTransportFailures(pusher, ({ failed, closeCode, url }) =>
      fail(
        new ConnectionError(
          ErrorCodes.ConnectionFailed,
          `Could not reach Pusher${url ? ` at ${url}` : ''}: ${failed > 1 ? `all ${failed} transports pusher-js tried` : 'the socket'} closed before opening${closeCode !== undefined ? ` (${closeCode})` : ''}. Retrying with backoff; if this persists, check the network, "cluster" and "pusherOptions" (wsHost/wsPort).`,
          { retryable: true },
        ),
      ),
    );
    pusher.connection.bind('error', (event: unknown) => {
      const code = closeCodeOf(event);
      // code null: a non-fatal channel-level complaint, handled by the session. 4301: a client
      // event over the rate limit was dropped; the link is fine. 4000: pusher-js retries over
      // TLS at once, which a fresh attempt (plain text again) could never do.
      if (code === null || code === 4301 || (code === 4000 && !settled)) return;
      lastError = pusherError(event, settled ? 'connected' : 'connecting');
      // While connecting, a handshake refused or closed by Pusher ends this attempt; core retries
      // the retryable ones with its backoff instead of pusher-js with its own.
      if (!lastError.retryable || !settled) fail(lastError);
    });
    pusher.connection.bind('connecting_in', () => {
      // pusher-js announces its own retry after a dropped socket (while still saying `connected`)
      // or a handshake that closed without a code.
      if (settled) lost(lastError ?? lostError('the socket closed'));
      else fail(lastError ?? handshakeClosed());
    });
    pusher.connection.bind('state_change', ({ current: state }: { current: string }) => {
      if (settled) {
        if (state !== 'connected') lost(lastError ?? lostError(`pusher-js went ${state}`));
        return;
      }
      if (state === 'connected') {
        stopWatching();
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
      } else if (state === 'disconnected' || pusher.connection.socket_id) {
        // Refused during the handshake, or a drop between the socket opening and sign-in.
        fail(lastError ?? handshakeClosed(state));
      }
    });
    if (request.signal.aborted) fail(abortError(request.signal.reason));
    request.signal.addEventListener('abort', () => fail(abortError(request.signal.reason)), {
      once: true,
    });
  });
}

interface PusherErrorEvent {
  type?: string;
  data?: { code?: unknown; message?: unknown };
  error?: unknown;
}

/**
 * Disconnect a pusher-js client for good. Its events fire before it schedules its own retry
 * (`connecting_in` comes just before the timer is set, a refusal's `error` before `retryIn`), so a
 * `disconnect()` from a listener alone would be undone 0–1 s later by that timer, leaving a second
 * client connected and subscribed. Disconnecting again once pusher-js's handler has returned
 * clears it.
 */
export function abandonPusher(pusher: PusherClient): void {
  pusher.disconnect();
  queueMicrotask(() => {
    pusher.disconnect();
    release(pusher);
  });
}

type CallbackLists = Record<string, unknown[] | undefined>;

/** What each client bound on the runtime's shared network events while it was constructed. */
const networkBindings = new WeakMap<
  object,
  { lists: CallbackLists; added: Array<[string, unknown]> }
>();

/** The runtime's network-event callback lists (`Pusher.Runtime.getNetwork()`), if reachable. */
function networkCallbacks(Pusher: unknown): CallbackLists | undefined {
  try {
    const runtime = (
      Pusher as {
        Runtime?: { getNetwork?: () => { callbacks?: { _callbacks?: CallbackLists } } };
      }
    ).Runtime;
    return runtime?.getNetwork?.()?.callbacks?._callbacks;
  } catch {
    return undefined;
  }
}

/** Construct a client, noting the network callbacks its connection manager binds (see `release`). */
function withNetworkBindings<T extends object>(Pusher: unknown, create: () => T): T {
  const lists = networkCallbacks(Pusher);
  const before = new Set(lists ? Object.values(lists).flatMap((list) => list ?? []) : []);
  const client = create();
  if (lists) {
    const added: Array<[string, unknown]> = [];
    for (const [name, list] of Object.entries(lists)) {
      for (const entry of list ?? []) if (!before.has(entry)) added.push([name, entry]);
    }
    networkBindings.set(client, { lists, added });
  }
  return client;
}

/**
 * Let an abandoned client be collected. pusher-js keeps every client in `Pusher.instances`, and
 * its connection manager stays bound to the runtime's network events for the process's life
 * (pusher-js never unbinds them); through the manager's listeners, options and strategy those
 * bindings hold the client, its channels and its timeline. One client is made per connection
 * attempt, so each abandoned one is unlisted, unbound and emptied here.
 */
function release(pusher: PusherClient): void {
  const internals = pusher as unknown as {
    constructor: { instances?: unknown[] };
    connection: { unbind_all?: () => void; options?: unknown; strategy?: unknown };
    timeline?: { events?: unknown[] };
    unbind_all?: () => void;
  };
  const instances = internals.constructor.instances;
  const index = instances?.indexOf(pusher) ?? -1;
  if (instances && index >= 0) instances.splice(index, 1);
  const bound = networkBindings.get(pusher);
  if (bound) {
    for (const [name, entry] of bound.added) {
      const list = bound.lists[name];
      const at = list?.indexOf(entry) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    }
    networkBindings.delete(pusher);
  }
  internals.connection.unbind_all?.();
  internals.connection.options = {};
  internals.connection.strategy = null;
  internals.unbind_all?.();
  if (internals.timeline?.events) internals.timeline.events = [];
}

/**
 * The Pusher code of a connection `error` event: in `data` once connected, one level down
 * (`{type: 'WebSocketError', error: {type: 'PusherError', data}}`) for a handshake refusal.
 */
function closeCodeOf(event: unknown): unknown {
  const { data, error } = (event ?? {}) as PusherErrorEvent;
  return data?.code ?? (error as PusherErrorEvent | undefined)?.data?.code;
}

function pusherError(event: unknown, phase: 'connecting' | 'connected'): RealtimeError {
  const outer = (event ?? {}) as PusherErrorEvent;
  const inner = outer.error as PusherErrorEvent | undefined;
  const nested = outer.data === undefined && typeof inner?.data?.code === 'number';
  const { type, data, error } = nested ? { ...inner, error: outer.error } : outer;
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
  if (phase === 'connecting') {
    return new ConnectionError(
      ErrorCodes.ConnectionFailed,
      `Pusher closed the connection before it was ready (${code !== undefined ? `${code} ` : ''}${reason}). Retrying with backoff.`,
      { cause: error, retryable: true },
    );
  }
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    `Pusher reported ${type ?? 'an error'}: ${reason}.`,
    { cause: error, retryable: true },
  );
}

function handshakeClosed(state?: string): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    `The Pusher socket closed before the connection was ready${state ? ` (pusher-js went ${state})` : ''}. Retrying with backoff.`,
    { retryable: true },
  );
}

function abortError(reason: unknown): RealtimeError {
  return reason instanceof RealtimeError
    ? reason
    : new ConnectionError(ErrorCodes.ConnectionFailed, 'The connection attempt was abandoned.', {
        retryable: true,
      });
}
