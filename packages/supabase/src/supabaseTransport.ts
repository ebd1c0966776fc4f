import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import { productionMessage, type Transport } from '@patchbay/realtime-core/transport';
import {
  RealtimeClient,
  type RealtimeClientOptions,
  type WebSocketLikeConstructor,
} from '@supabase/realtime-js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './internal/limits.js';
import { SupabaseTransport } from './internal/SupabaseTransport.js';

/** realtime-js's client constructor (`RealtimeClient` from `@supabase/realtime-js`), or a compatible build. */
export type RealtimeClientConstructor = new (
  endPoint: string,
  options?: RealtimeClientOptions,
) => RealtimeClient;

/**
 * realtime-js options the transport passes through. Patchbay sets `accessToken` (from
 * `createRealtime`'s `auth()`), `reconnectAfterMs` (from its reconnect policy) and the API key;
 * `transport` is the WebSocket constructor (`ws` on Node 20, which has no global WebSocket).
 */
export type SupabaseClientOptions = Omit<
  RealtimeClientOptions,
  'accessToken' | 'reconnectAfterMs' | 'params' | 'transport'
> & { transport?: WebSocketLikeConstructor | typeof WebSocket };

export interface SupabaseTransportOptions {
  /**
   * Your project URL (`https://<ref>.supabase.co`, as for supabase-js) or the Realtime endpoint
   * (`wss://<ref>.supabase.co/realtime/v1`). Not with `client`.
   */
  url?: string;
  /** Your project's anon (publishable) key: public, safe in the browser. Not with `client`. */
  apiKey?: string;
  /** Extra socket params (`log_level`…), sent as the socket URL's query. */
  params?: Record<string, string>;
  /** More realtime-js options (`transport`, `timeout`, `heartbeatIntervalMs`, `logger`, `vsn`…). */
  clientOptions?: SupabaseClientOptions;
  /**
   * The app's own realtime-js client (`supabase.realtime` from supabase-js, or a
   * `RealtimeClient`), so the app keeps one socket. Patchbay joins and leaves only its own
   * channels on it, never disconnects it, and leaves its auth and retry timings to the app
   * (supabase-js keeps the user's session token on it; give `createRealtime` no `auth()`).
   */
  client?: RealtimeClient;
  /**
   * Join Patchbay channels as Supabase private channels (Realtime Authorization): each join,
   * send and presence is checked against your RLS policies on `realtime.messages`. Default false.
   */
  private?: boolean;
  /**
   * Largest message, in bytes of JSON. Default 261 120: Supabase's 256 KB broadcast payload
   * limit (Free plan) minus room for Patchbay's envelope; raise it on plans with a larger limit.
   */
  maxMessageBytes?: number;
  /**
   * URL (absolute, or a path on the page's origin) of `createSupabasePublishHandler` on your
   * server. With it, every message is POSTed there (`{ channel, event, data, id }` with
   * `Authorization: Bearer <token from auth()>`) and your server broadcasts it over Supabase's REST
   * API: it passes through your server, which can record it as history, and carries the sender
   * your server authenticated. The publish resolves when Supabase accepted the broadcast. Typing
   * and presence stay on the socket. Without it, messages are broadcast from the socket.
   */
  publishEndpoint?: string;
  /** How long one publish request to `publishEndpoint` may take. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Inject `fetch` for `publishEndpoint`. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Inject realtime-js's client constructor (a specific build). Default: the installed peer. */
  RealtimeClient?: RealtimeClientConstructor;
}

export { DEFAULT_MAX_MESSAGE_BYTES };

/**
 * The Supabase Realtime transport: Patchbay channels on Broadcast, members on Presence, over one
 * long-lived realtime-js client per Patchbay client (or the app's own). realtime-js reconnects and
 * rejoins channels by itself; the transport reports that to core (`reconnecting` → `connected`).
 * Broadcast keeps no history here, so a channel that was rejoined emits `discontinuity`; with
 * `publishEndpoint`, messages pass through your server, which can keep that history.
 *
 * ```ts
 * createRealtime({
 *   transport: supabaseTransport({ url: 'https://<ref>.supabase.co', apiKey: ANON_KEY }),
 *   auth: async () => (await supabase.auth.getSession()).data.session?.access_token ?? '',
 * });
 * ```
 */
export function supabaseTransport(options: SupabaseTransportOptions): Transport {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'supabaseTransport: pass { url, apiKey } (your project URL and anon key) or { client }.'
        : productionMessage(ErrorCodes.InvalidConfig, 'options'),
    );
  }
  const { client } = options;
  if (client !== undefined) {
    if (typeof client?.channel !== 'function' || typeof client?.removeChannel !== 'function') {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? 'supabaseTransport: "client" must be a RealtimeClient from @supabase/realtime-js (e.g. supabase.realtime).'
          : productionMessage(ErrorCodes.InvalidConfig, 'client'),
      );
    }
    for (const field of ['url', 'apiKey', 'params', 'clientOptions', 'RealtimeClient'] as const) {
      if (options[field] !== undefined) {
        throw new ConfigError(
          process.env.NODE_ENV !== 'production'
            ? `supabaseTransport: "${field}" is unused with "client" (the app's client keeps its own settings); remove one of them.`
            : productionMessage(ErrorCodes.InvalidConfig, field),
        );
      }
    }
  } else {
    if (typeof options.url !== 'string' || !/^(https?|wss?):\/\/[^/]/.test(options.url)) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `supabaseTransport: "url" must be your project URL (https://<ref>.supabase.co) or its Realtime endpoint (wss://…/realtime/v1); got ${JSON.stringify(options.url)}.`
          : productionMessage(ErrorCodes.InvalidConfig, 'url', options.url),
      );
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? 'supabaseTransport: "apiKey" must be your project\'s anon (publishable) key, from the dashboard\'s API settings (or pass "client").'
          : productionMessage(ErrorCodes.InvalidConfig, 'apiKey'),
      );
    }
    if (
      options.params !== undefined &&
      (typeof options.params !== 'object' ||
        Object.values(options.params).some((value) => typeof value !== 'string'))
    ) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? 'supabaseTransport: "params" must be an object of string values (socket URL query parameters).'
          : productionMessage(ErrorCodes.InvalidConfig, 'params'),
      );
    }
    const Constructor = options.RealtimeClient ?? RealtimeClient;
    if (typeof Constructor !== 'function') {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? 'supabaseTransport: "RealtimeClient" must be a constructor (RealtimeClient from "@supabase/realtime-js").'
          : productionMessage(ErrorCodes.InvalidConfig, 'RealtimeClient'),
      );
    }
  }
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!(Number.isInteger(max) && max >= 1024)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `supabaseTransport: "maxMessageBytes" must be a whole number of bytes ≥ 1024 (your plan's broadcast payload limit); got ${JSON.stringify(options.maxMessageBytes)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'maxMessageBytes', options.maxMessageBytes),
    );
  }
  const endpoint = options.publishEndpoint;
  if (
    endpoint !== undefined &&
    (typeof endpoint !== 'string' || !/^(https?:\/\/[^/]|\/(?!\/))/.test(endpoint))
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `supabaseTransport: "publishEndpoint" must be the absolute URL (https://…) or the path (/api/…) of createSupabasePublishHandler on your server; got ${JSON.stringify(endpoint)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'publishEndpoint', endpoint),
    );
  }
  const timeout = options.requestTimeoutMs;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout < 2 ** 31)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `supabaseTransport: "requestTimeoutMs" must be a positive number of milliseconds; got ${JSON.stringify(timeout)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'requestTimeoutMs', timeout),
    );
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'supabaseTransport: "fetch" must be a fetch function.'
        : productionMessage(ErrorCodes.InvalidConfig, 'fetch'),
    );
  }
  if (options.private !== undefined && typeof options.private !== 'boolean') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `supabaseTransport: "private" must be true or false; got ${JSON.stringify(options.private)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'private', options.private),
    );
  }
  return new SupabaseTransport({
    ...options,
    maxMessageBytes: max,
    RealtimeClient: options.RealtimeClient ?? RealtimeClient,
  });
}
