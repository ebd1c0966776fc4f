import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  type RealtimeError,
} from '@patchbay/realtime-core';
import {
  productionMessage,
  type TransportConnection,
  type TransportConnectRequest,
} from '@patchbay/realtime-core/transport';
import type PusherClient from 'pusher-js';
import type { ChannelAuthorizationHandler } from 'pusher-js';
import { callEndpoint, type FetchLike } from './endpointRequest.js';
import { PRESENCE_PREFIX } from './envelope.js';
import { lostError, PusherChannels } from './pusherChannels.js';

export interface LinkConfig {
  /** The app's own client, kept when this link closes. */
  pusher: PusherClient | undefined;
  fetch: FetchLike;
  authEndpoint: string;
  acceptClientMessages: boolean;
}

type Callback<TData> = (error: Error | null, data: TData | null) => void;
type StateChange = { previous: string; current: string };
type PusherErrorEvent = {
  type?: string;
  data?: PusherErrorData;
  error?: { data?: PusherErrorData };
};
type PusherErrorData = { code?: number | null; message?: string };

/**
 * One long-lived pusher-js client for one `connect()`, until `close()`. pusher-js reconnects by
 * itself and subscribes its channels again; this maps its states onto core's sink (`reconnecting`
 * with attempts, `reconnected` with the new socket_id) and learns the clientId of every
 * connection from the auth endpoint, with a token fetched anew for each new socket.
 *
 * pusher-js has no event for a failed attempt and waits out 15–60 s transport slots between
 * tries when nothing tells it the network is back. So an attempt ends when pusher-js reports
 * `unavailable` (after `unavailableTimeout`), and the next one starts on core's backoff by
 * `disconnect()` + `connect()`, its public way to try now (also `reconnectNow`).
 */
export class PusherLink {
  readonly pusher: PusherClient;
  readonly channels: PusherChannels;
  readonly owned: boolean;
  readonly #config: LinkConfig;
  readonly #request: TransportConnectRequest;
  readonly #unbind: () => void;
  #first:
    | { resolve(connection: TransportConnection): void; reject(error: unknown): void }
    | undefined;
  /** The attempt in progress (1 while connecting the first time); 0 while connected. */
  #attempt = 1;
  /** Set while our next attempt waits out its backoff; other failure reports are the same attempt. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #error: RealtimeError | undefined;
  /** Our own `disconnect()` + `connect()` is under way: its state changes are not news. */
  #quiet = false;
  #closed = false;
  #token: [socketId: string | undefined, token: Promise<string | undefined>];
  #identity: [socketId: string, data: Promise<{ auth: string; user_data: string }>] | undefined;

  constructor(
    config: LinkConfig,
    request: TransportConnectRequest,
    build: (auth: {
      channel: ChannelAuthorizationHandler;
      user: (
        params: { socketId: string },
        callback: Callback<{ auth: string; user_data: string }>,
      ) => void;
    }) => PusherClient | undefined,
  ) {
    this.#config = config;
    this.#request = request;
    // The first socket uses the token core fetched for this connect(); later ones a fresh one.
    this.#token = [undefined, Promise.resolve(request.token)];
    const channel: ChannelAuthorizationHandler = ({ socketId, channelName }, callback) => {
      const body = new URLSearchParams({ socket_id: socketId, channel_name: channelName });
      const wish = this.channels.presence.get(channelName.slice(PRESENCE_PREFIX.length));
      if (wish && channelName.startsWith(PRESENCE_PREFIX)) {
        // A hidden watcher sends no data; the endpoint marks it as not entered.
        wish.signed = wish.data ?? null;
        if (wish.data !== undefined) body.set('presence_data', wish.data);
      }
      answer(
        this.#call(socketId, body, `authorization of ${channelName}`).catch((error) => {
          this.channels.authErrors.set(channelName, error);
          throw error;
        }),
        callback,
      );
    };
    const built = build({
      channel,
      user: ({ socketId }, callback) => answer(this.#identify(socketId), callback),
    });
    this.owned = built !== undefined;
    this.pusher = (built ?? config.pusher) as PusherClient;
    this.channels = new PusherChannels(this.pusher, request.sink, config.acceptClientMessages);
    const { connection, config: pusherConfig } = this.pusher;
    // The app's client keeps authorizing its own channels; only ours go to Patchbay's endpoint.
    const appAuthorizer = pusherConfig.channelAuthorizer;
    if (!this.owned) {
      pusherConfig.channelAuthorizer = (params, callback) =>
        (this.channels.names.has(params.channelName) ? channel : appAuthorizer)(params, callback);
    }
    const onState = ({ previous, current }: StateChange) => {
      if (this.#quiet || this.#closed) return;
      if (current === 'connected') this.#connected();
      else if (current === 'unavailable') this.#retry(this.#timeoutError());
      else if (current === 'failed')
        this.#end(
          new ConfigError(
            process.env.NODE_ENV !== 'production'
              ? 'pusher-js has no usable transport here. Check "pusherOptions.enabledTransports".'
              : productionMessage(ErrorCodes.InvalidConfig, 'pusherOptions.enabledTransports'),
          ),
        );
      else if (current === 'disconnected')
        this.#end(
          this.#error ??
            new ConnectionError(
              ErrorCodes.ConnectionLost,
              process.env.NODE_ENV !== 'production'
                ? 'The Pusher client was disconnected by the app. Connect it, then call client.connect().'
                : productionMessage(ErrorCodes.ConnectionLost, 'pusher.disconnect()'),
            ),
        );
      else if (previous === 'connected') this.#retry(this.#error ?? lostError('the socket closed'));
    };
    // pusher-js announces its own retry after a dropped socket while still saying `connected`.
    const onRetry = () =>
      this.#closed || this.#retry(this.#error ?? lostError('the socket closed'));
    const onError = (event: PusherErrorEvent) => {
      const data = event?.data ?? event?.error?.data;
      // code null: a channel-level complaint; 4301: one client event over the rate limit was dropped.
      if (data?.code === null) this.channels.refused(String(data.message));
      else if (data?.code !== 4301) this.#error = pusherError(data, event?.type);
    };
    connection.bind('state_change', onState);
    connection.bind('connecting_in', onRetry);
    connection.bind('error', onError);
    this.#unbind = () => {
      connection.unbind('state_change', onState);
      connection.unbind('connecting_in', onRetry);
      connection.unbind('error', onError);
      if (!this.owned) pusherConfig.channelAuthorizer = appAuthorizer;
    };
  }

  /** Resolves on the first connection (identity included); failed attempts before it are reported. */
  open(): Promise<TransportConnection> {
    return new Promise((resolve, reject) => {
      this.#first = { resolve, reject };
      if (this.owned) this.pusher.signin();
      if (this.pusher.connection.state === 'connected') this.#connected();
      else this.pusher.connect();
    });
  }

  /** The token of the current connection, for publish requests. */
  token(): Promise<string | undefined> {
    return this.#token[1];
  }

  /** Try now instead of waiting (the network came back, or our backoff ended). */
  reconnectNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#quiet = true;
    this.pusher.disconnect();
    this.pusher.connect();
    this.#quiet = false;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unbind();
    this.channels.close();
    this.#first?.reject(lostError('the client was closed'));
    this.#first = undefined;
  }

  #connected(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#error = undefined;
    this.#attempt = 0;
    const socketId = this.pusher.connection.socket_id;
    this.#identify(socketId)
      .then(({ user_data }) => (JSON.parse(user_data) as { id: string }).id)
      .then(
        (clientId) => {
          if (this.#closed || this.pusher.connection.socket_id !== socketId) return;
          const connection = { clientId, connectionId: socketId };
          if (this.#first) this.#first.resolve(connection);
          else this.#request.sink.reconnected?.({ resumed: false, ...connection });
          this.#first = undefined;
        },
        (error: RealtimeError) => {
          if (!this.#closed && this.pusher.connection.socket_id === socketId) this.#end(error);
        },
      );
  }

  /** The link is down or an attempt failed: report it and start the next one after the backoff. */
  #retry(error: RealtimeError): void {
    if (this.#timer !== undefined) return;
    const attempt = ++this.#attempt;
    // The app's policy (full jitter), counted from the drop as core counts its own attempts.
    const delay = this.#request.reconnect.delayMs(attempt - 1);
    this.#request.sink.reconnecting?.({ error, attempt, nextAttemptAt: Date.now() + delay });
    this.#timer = setTimeout(() => this.reconnectNow(), delay);
  }

  #end(error: RealtimeError): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#first) this.#first.reject(error);
    else this.#request.sink.lost(error);
    this.#first = undefined;
  }

  #identify(socketId: string): Promise<{ auth: string; user_data: string }> {
    if (this.#identity?.[0] !== socketId) {
      const body = new URLSearchParams({ socket_id: socketId });
      this.#identity = [socketId, this.#call(socketId, body, 'sign-in') as Promise<never>];
    }
    return this.#identity[1];
  }

  /** Ask the auth endpoint, with one token per socket: a reconnect refreshes it once. */
  #call(socketId: string, body: URLSearchParams, what: string): Promise<unknown> {
    if (this.#token[0] !== socketId) {
      const first = this.#token[0] === undefined;
      this.#token = [socketId, first ? this.#token[1] : this.#request.refreshToken()];
    }
    return this.#token[1].then((token) =>
      callEndpoint({
        fetch: this.#config.fetch,
        url: this.#config.authEndpoint,
        token,
        body,
        what,
      }),
    );
  }

  #timeoutError(): RealtimeError {
    return new ConnectionError(
      ErrorCodes.ConnectionFailed,
      process.env.NODE_ENV !== 'production'
        ? `Could not connect to Pusher within ${this.pusher.config.unavailableTimeout} ms; retrying. Check the network, "cluster" and "pusherOptions" (wsHost/wsPort).`
        : productionMessage(ErrorCodes.ConnectionFailed, this.pusher.config.unavailableTimeout),
      { retryable: true },
    );
  }
}

function answer<TData>(promise: Promise<unknown>, callback: Callback<TData>): void {
  promise.then(
    (data) => callback(null, data as TData),
    (error: Error) => callback(error, null),
  );
}

/** A Pusher close code: 4000–4099 are refusals (never retried), the rest a dropped link. */
function pusherError(data: PusherErrorData | undefined, type: string | undefined): RealtimeError {
  const code = data?.code ?? undefined;
  const reason = `${code ?? ''} ${data?.message ?? type ?? 'error'}`.trim();
  if (code === 4009)
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `Pusher refused this connection (${reason}). Sign in again with a valid token.`
        : productionMessage(ErrorCodes.AuthRejected, reason),
    );
  if (code === 4001 || code === 4003)
    return new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `Pusher refused the app key (${reason}). Check "key" and "cluster".`
        : productionMessage(ErrorCodes.InvalidConfig, 'key', reason),
    );
  return new ConnectionError(
    code !== undefined && code >= 4000 && (code < 4100 || code >= 4300)
      ? ErrorCodes.ConnectionFailed
      : ErrorCodes.ConnectionLost,
    `Pusher closed the connection (${reason}).`,
    { retryable: !(code !== undefined && code >= 4000 && (code < 4100 || code >= 4300)) },
  );
}
