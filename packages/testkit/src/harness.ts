import type { RealtimeClient, RealtimeOptions } from '@patchbay/realtime-core';

/** Options the suite passes when it asks for a client; the harness adds the transport. */
export interface ConformanceClientOptions extends Omit<RealtimeOptions, 'transport'> {
  /** The identity this client must be authenticated as by the live counterpart. */
  clientId: string;
}

/** What `rejectAuth` refuses: a user (every action), a channel, or one action on a channel. */
export interface AuthRejection {
  clientId?: string;
  channel?: string;
  action?: 'connect' | 'subscribe' | 'publish' | 'presence';
}

/**
 * What differs per provider. A harness wires the real client SDK to a live counterpart (the
 * memory hub, the hub over Socket.IO or SSE, the Pusher or Ably emulator) over loopback and can
 * inject faults. The tests themselves are the same for every provider.
 */
export interface ConformanceHarness {
  /**
   * How the transport under test reconnects (`Transport.linkMode`); default `attempt`. A
   * `persistent` transport's vendor client asks `auth()` for credentials when it needs them (a
   * new connection, an expiring token), not on a resumed one.
   */
  linkMode?: 'attempt' | 'persistent';
  /** Start the counterpart (once, before the suite). */
  setup?(): Promise<void>;
  /** Stop it and free every port (once, after the suite). */
  teardown?(): Promise<void>;
  /**
   * A client on this transport, not yet connected, authenticated as `clientId` when it connects.
   * If `options.auth` is given the harness must let core call it on every connect.
   */
  createClient(options: ConformanceClientOptions): RealtimeClient | Promise<RealtimeClient>;
  /** Publish from the server side (hub publish, Pusher HTTP API, Ably REST). */
  serverPublish(
    channel: string,
    event: string,
    data: unknown,
    options?: { id?: string },
  ): Promise<void>;
  /** Cut this client's link abruptly, as a network failure would. */
  dropLink(client: RealtimeClient): Promise<void>;
  /**
   * Take this client's network away for `ms` (a Wi-Fi hiccup): its open connections die at once
   * and new ones fail until the time is up; the server keeps running. Harnesses route each
   * client through its own `createTcpProxy` (`cut()`, then `refuse()` for `ms`). Resolves when
   * the network is back, not when the client is.
   */
  interruptLink(client: RealtimeClient, ms: number): Promise<void>;
  /** Keep this client's link open but stop answering it (a half-open connection). */
  blackholeLink(client: RealtimeClient): Promise<void>;
  /** An outage: drop every client and refuse connections on the same address until `startServer`. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Make authorization fail until the returned function is called. */
  rejectAuth(rejection: AuthRejection): (() => void) | Promise<() => void>;
  /**
   * Make the counterpart refuse the next `times` subscribes to `channel` while the link stays
   * up, with the refusal the provider sends when trying again later can succeed (its retryable
   * refusal: a hub `rate_limited`, an auth endpoint's 503, Ably's DETACHED with a 5xx error,
   * Supabase's join `error` reply). Later subscribes succeed again.
   */
  refuseSubscribes(channel: string, times: number): void | Promise<void>;
  /** Subscribe attempts the counterpart saw on `channel` so far, refused or not. */
  subscribeAttempts(channel: string): Promise<number>;
  /** Provider-level subscriptions on a channel, counted on the server. */
  providerSubscriptionCount(channel: string): Promise<number>;
  /** Make the server forget a channel's history, so a resume cannot recover (no-op without history). */
  truncateHistory(channel: string): Promise<void>;
}
