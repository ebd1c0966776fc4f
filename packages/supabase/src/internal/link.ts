import {
  AuthError,
  ErrorCodes,
  isRealtimeError,
  type RealtimeError,
} from '@patchbay/realtime-core';
import {
  productionMessage,
  type TransportConnection,
  type TransportConnectRequest,
} from '@patchbay/realtime-core/transport';
import type { RealtimeClient, WebSocketLike } from '@supabase/realtime-js';
import { lostError, refusalReason } from './errors.js';
import { expiryOf, subjectOf } from './identity.js';
import type { SocketEvents } from './watchSocket.js';

/** The public topic joined once per connect to have Supabase check the token. */
export const AUTH_CHECK_TOPIC = 'patchbay-auth-check';
/** A token this close to its `exp` is refreshed before realtime-js sends it again. */
const REFRESH_BEFORE_MS = 60_000;

/**
 * One `connect()` on a realtime-js client, until `close()`. realtime-js reconnects by itself:
 * every retry it schedules (through the `reconnectAfterMs` the transport gave it, from core's
 * policy) is one `reconnecting` report with its attempt and time, and every socket that opens
 * after a drop is `reconnected` (never resumed: Supabase keeps no session). Its `accessToken`
 * callback asks here for the token, which is fetched anew from core's `auth()` after each drop
 * and before it expires, so every rejoin carries a fresh one.
 *
 * On the app's shared client the socket is not ours to watch: the link follows it through
 * Patchbay's channels (a channel error with the socket down, then a join with it up).
 */
export class Link {
  readonly client: RealtimeClient;
  readonly request: TransportConnectRequest;
  readonly owned: boolean;
  readonly connectionId = globalThis.crypto.randomUUID();
  readonly clientId: string | undefined;
  #first:
    | { resolve(connection: TransportConnection): void; reject(error: unknown): void }
    | undefined;
  #closed = false;
  /** The link is down (reported as reconnecting) until a socket opens again. */
  #down = false;
  #socket: WebSocketLike | undefined;
  #lastClose: string | undefined;
  #token: string | undefined;
  #stale = false;
  #refreshing: Promise<void> | undefined;
  /** Waiting for the answer to a heartbeat (see `alive`). */
  #beats: Array<(answered: boolean) => void> = [];

  constructor(client: RealtimeClient, request: TransportConnectRequest, owned: boolean) {
    this.client = client;
    this.request = request;
    this.owned = owned;
    this.#token = request.token;
    this.clientId =
      subjectOf(request.token ?? (owned ? undefined : client.accessTokenValue)) ?? request.clientId;
  }

  get identity(): TransportConnection {
    return {
      ...(this.clientId !== undefined ? { clientId: this.clientId } : {}),
      connectionId: this.connectionId,
    };
  }

  /** Resolves when the socket is open and Supabase accepted the token. */
  open(): Promise<TransportConnection> {
    if (!this.owned) {
      if (!this.client.isConnected()) this.client.connect();
      return Promise.resolve(this.identity);
    }
    return new Promise((resolve, reject) => {
      this.#first = { resolve, reject };
      this.client.connect();
    });
  }

  /** Try now instead of waiting out the delay (the network came back). */
  reconnectNow(): void {
    if (this.#closed || this.client.isConnected() || this.client.isConnecting()) return;
    this.client.connect();
  }

  close(): void {
    this.#closed = true;
    this.heartbeat('closed');
    this.#first?.reject(lostError('the client was closed'));
    this.#first = undefined;
  }

  /** Retrying cannot help (the token was refused): end the link with `error`. */
  fail(error: RealtimeError): void {
    if (this.#closed) return;
    if (this.#first) {
      this.#first.reject(error);
      this.#first = undefined;
    } else this.request.sink.lost(error);
    this.#closed = true;
    if (this.owned) void this.client.disconnect();
  }

  /** Every socket realtime-js opens for this client (see `watchSocket`). */
  readonly events: SocketEvents = {
    open: (socket) => this.#opened(socket),
    close: (socket, reason) => {
      if (socket === this.#socket || this.#socket === undefined) this.#lastClose = reason;
    },
  };

  #opened(socket: WebSocketLike): void {
    if (this.#closed) return;
    this.#socket = socket;
    this.#lastClose = undefined;
    if (this.#first) {
      void this.#checkToken();
      return;
    }
    if (this.#down) {
      this.#down = false;
      this.request.sink.reconnected?.({ ...this.identity, resumed: false });
    }
  }

  /** realtime-js schedules its next attempt: the link is down, report it with core's delay. */
  retryIn(tries: number): number {
    const delay = Math.max(0, this.request.reconnect.delayMs(tries - 1));
    if (this.#closed) return delay;
    if (!this.#down) {
      this.#down = true;
      // A new socket should present a fresh token (core's auth() is asked once per drop).
      this.#stale = true;
    }
    this.request.sink.reconnecting?.({
      error: lostError(this.#lastClose ?? 'the socket closed'),
      attempt: tries,
      nextAttemptAt: Date.now() + delay,
    });
    return delay;
  }

  /** The token realtime-js sends with joins and refreshes (`accessToken`). */
  async token(): Promise<string | null> {
    if (this.#closed || this.request.token === undefined) return this.#token ?? null;
    const expiry = expiryOf(this.#token);
    if (this.#stale || (expiry !== undefined && expiry - Date.now() < REFRESH_BEFORE_MS)) {
      this.#stale = false;
      this.#refreshing ??= this.request
        .refreshToken()
        .then(
          (token) => {
            this.#token = token;
          },
          (error: unknown) => {
            // Refused for good (e.g. signed out): end the link. Otherwise keep the last token.
            if (isRealtimeError(error) && !error.retryable) this.fail(error);
          },
        )
        .finally(() => {
          this.#refreshing = undefined;
        });
      await this.#refreshing;
    }
    return this.#token ?? null;
  }

  /**
   * Whether the server answers this socket now: the answer to a heartbeat (the pending one, or one
   * sent now). Unknown (false) on the app's client, whose heartbeat callback is the app's.
   */
  alive(): Promise<boolean> {
    if (!this.owned || this.#closed || !this.client.isConnected()) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#beats.push(resolve);
      // A second heartbeat while one is pending would count as a timeout: wait for that one.
      if (this.client.pendingHeartbeatRef === null) void this.client.sendHeartbeat();
    });
  }

  /** realtime-js reported on a heartbeat (its `heartbeatCallback`). */
  heartbeat(status: string): void {
    if (status === 'sent') return;
    const beats = this.#beats;
    this.#beats = [];
    for (const beat of beats) beat(status === 'ok');
  }

  /** Shared clients: a Patchbay channel saw the socket go down. */
  channelDown(error: RealtimeError): void {
    if (this.owned || this.#closed || this.#down) return;
    this.#down = true;
    this.request.sink.reconnecting?.({ error });
  }

  /** Shared clients: a Patchbay channel joined again with the socket up. */
  channelUp(): void {
    if (this.owned || this.#closed || !this.#down || !this.client.isConnected()) return;
    this.#down = false;
    this.request.sink.reconnected?.({ ...this.identity, resumed: false });
  }

  /**
   * Supabase checks a token only when a channel is joined: join a public topic once so a
   * refused token fails `connect()` (with `AuthError`) instead of every channel later. A project
   * that allows only private channels refuses the topic itself: the token is then checked by the
   * first channel the app joins.
   */
  async #checkToken(): Promise<void> {
    const first = this.#first;
    if (this.request.token === undefined) {
      this.#first = undefined;
      first?.resolve(this.identity);
      return;
    }
    await this.client.setAuth();
    const probe = this.client.channel(AUTH_CHECK_TOPIC, { config: { private: false } });
    const refusal = await new Promise<string | undefined>((resolve) => {
      probe.subscribe((status, error) => {
        if (status === 'SUBSCRIBED') resolve(undefined);
        else if (status === 'CLOSED') resolve(undefined);
        else if (status === 'CHANNEL_ERROR') {
          const reason = refusalReason(error);
          if (reason !== undefined) resolve(reason);
        }
      });
    });
    await this.client.removeChannel(probe).catch(() => {});
    if (this.#first !== first || !first) return;
    this.#first = undefined;
    if (refusal === undefined || /PrivateOnly/i.test(refusal)) {
      first.resolve(this.identity);
      return;
    }
    first.reject(
      new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `Supabase Realtime refused this user (${refusal}): make auth() return a valid, unexpired JWT signed with the project's JWT secret for a user your policies allow.`
          : productionMessage(ErrorCodes.AuthRejected, refusal),
      ),
    );
    this.#closed = true;
    void this.client.disconnect();
  }
}
