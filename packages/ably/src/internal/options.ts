import type * as Ably from 'ably';

/** Builds the client: `Realtime` from `ably`, or `BaseRealtime` from `ably/modular`. */
export type RealtimeConstructor<TClientOptions = Ably.ClientOptions> = new (
  options: TClientOptions,
) => Ably.RealtimeClient;

/** Where the recovery key is kept between page loads: `sessionStorage` or anything shaped like it. */
export interface RecoveryKeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options both entry points share. */
export interface AblyTransportBaseOptions {
  /** Ably's message size limit for your account. Default 65 536 bytes (Ably's default). */
  maxMessageBytes?: number;
  /**
   * History pages (100 messages each) read to recover a channel Ably could not resume.
   * Default 10.
   */
  maxRecoveryPages?: number;
  /**
   * Opt-in: survive a page reload. The transport keeps the connection's recovery key
   * (`connection.createRecoveryKey()`) in `storage` and passes it as Ably's `recover` option
   * on the next page, so Ably restores the connection and its channels' positions (within
   * Ably's 2-minute window). Not with a shared `client` (its options are the app's).
   */
  recover?: { storage: RecoveryKeyStorage; key?: string };
}

/** How the transport gets its Ably client: its own (built from options) or the app's. */
export interface AblyClientSource<TClientOptions = Ably.ClientOptions> {
  /**
   * Ably client options: credentials (`key`, `authUrl`, `authCallback`…) and where to connect
   * (`endpoint`, `port`, `tls`…). Patchbay sets `autoConnect: false`, `clientId` and
   * `echoMessages` (from `createRealtime`), the `authCallback` when the app gives
   * `createRealtime` an `auth()`, and Ably's retry timings from the app's reconnect policy
   * unless set here.
   */
  clientOptions?: TClientOptions;
  /**
   * The app's own connected or unconnected Ably client (e.g. the one `ably/react` uses), so the
   * app keeps one connection. Patchbay uses it as it is configured, never closes it, and on
   * `close()` only leaves its presence and detaches its channels.
   */
  client?: Ably.RealtimeClient;
}

/** The storage key of the recovery key, unless `recover.key` names another. */
export const RECOVERY_KEY = 'patchbay-ably-recovery';
