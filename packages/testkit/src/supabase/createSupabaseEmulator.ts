import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { acceptUpgrade } from './acceptUpgrade.js';
import { EmulatorHub, type SupabaseAuthorize, type SupabaseAuthRejection } from './emulatorHub.js';
import type { EmulatorSocket } from './emulatorSocket.js';
import type { EmulatorSettings } from './joinChannel.js';
import { createRestHandler } from './restBroadcast.js';
import { demoKeyClaims, signSupabaseToken } from './supabaseTokens.js';

export type {
  SupabaseAuthorize,
  SupabaseAuthRejection,
  SupabaseChannelAction,
} from './emulatorHub.js';
export type { SupabaseClaims } from './supabaseTokens.js';

/** The Supabase CLI's local JWT secret: with it, `anonKey`/`serviceKey` equal the CLI's keys. */
export const DEFAULT_SUPABASE_JWT_SECRET =
  'super-secret-jwt-token-with-at-least-32-characters-long';

export interface SupabaseEmulatorOptions {
  /** The project's JWT secret (HS256). Default: the Supabase CLI's local secret. */
  jwtSecret?: string;
  /** Default 0 (any free port). Use a fixed port for offline development. */
  port?: number;
  /** Default `127.0.0.1`: the emulator is for tests and offline development, not a network service. */
  host?: string;
  /**
   * RLS for private channels. Default: `authenticated` may read and write, `anon` may not (a
   * project whose policies allow signed-in users). `service_role` is never asked: it bypasses RLS.
   */
  authorize?: SupabaseAuthorize;
  /** The project setting "only allow private channels". Default false. */
  privateOnly?: boolean;
  /**
   * Supabase closes a channel that sends more presence messages than this per window (default
   * 5 per 30 s, Supabase's), with a `system` error "Client presence rate limit exceeded".
   * `false` turns the limit off.
   */
  presenceRateLimit?: { maxCalls: number; windowMs: number } | false;
}

/** Options for `new RealtimeClient(emulator.url, emulator.clientOptions())`. */
export interface SupabaseEmulatorClientOptions {
  params: { apikey: string };
  /** `ws`'s WebSocket (Node 20 has no global one), typed as the constructor realtime-js calls. */
  transport: new (
    address: string | URL,
    protocols?: string | string[],
  ) => BrowserLikeWebSocket;
}

/**
 * The browser-shaped WebSocket realtime-js drives (its `WebSocketLike`). `ws` implements it at
 * runtime; its own typings describe Node-flavoured events, hence this declared shape.
 */
export interface BrowserLikeWebSocket {
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
  readonly readyState: number;
  readonly url: string;
  readonly protocol: string;
  close(code?: number, reason?: string): void;
  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: EventListener): void;
  removeEventListener(type: string, listener: EventListener): void;
}

export interface SupabaseServicePublishOptions {
  /** Publish to the private channel of that name (public by default). */
  private?: boolean;
  /**
   * Keep the message for broadcast replay and send it with `meta.id`, as `realtime.send()` does
   * from the database. Private channels only; default true for private, false for public.
   */
  store?: boolean;
}

export interface SupabaseEmulator {
  readonly host: string;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/realtime/v1` — the endpoint `RealtimeClient` takes. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` — the project URL; REST broadcast is `${httpUrl}/realtime/v1/api/broadcast`. */
  readonly httpUrl: string;
  readonly jwtSecret: string;
  /** A JWT with `role: anon`, signed with the secret: the project's publishable (anon) key. */
  readonly anonKey: string;
  /** A JWT with `role: service_role`: the project's secret key, for server-side sends. */
  readonly serviceKey: string;
  /** Sign claims with the project's secret (HS256; `role` defaults to `authenticated`, `exp` to 1 h). */
  signToken(claims?: Record<string, unknown>): Promise<string>;
  clientOptions(): SupabaseEmulatorClientOptions;
  /** Live WebSocket connections with the channels they joined (`realtime:<name>`). */
  connections(): Array<{
    connectionId: string;
    role: string;
    sub: string | undefined;
    topics: string[];
  }>;
  /** Channels joined on a topic (the name given to `channel()`); both kinds unless `private` says. */
  subscriberCount(topic: string, options?: { private?: boolean }): number;
  /** Cut one connection (or every one) abruptly; realtime-js reconnects and rejoins by itself. */
  drop(connectionId?: string): void;
  /** Keep a connection open but stop answering it and sending to it (heartbeats time out). */
  blackhole(connectionId: string): void;
  /** Refuse connects and/or joins matching the rule until the returned function is called. */
  rejectAuth(rule?: SupabaseAuthRejection): () => void;
  /**
   * Refuse the next `times` `phx_join`s of `topic` (any connection, private or public) the way
   * Supabase does while it cannot reach the project database: a `phx_reply` with status `error`
   * and reason `UnableToConnectToProject: …`. The socket stays up.
   */
  refuseJoins(topic: string, times: number): void;
  /** `phx_join`s of `topic` the emulator has received, refused or not. */
  joinCount(topic: string): number;
  /** Broadcast as the service (no REST round trip): what a `service_role` REST send delivers. */
  publish(
    topic: string,
    event: string,
    payload: Record<string, unknown>,
    options?: SupabaseServicePublishOptions,
  ): void;
  /** An outage: cut every socket and stop listening. Stored replay messages are kept unless `clearState`. */
  stop(options?: { clearState?: boolean }): Promise<void>;
  /** Listen again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stop for good and free the port. */
  close(): Promise<void>;
}

/**
 * A local Supabase Realtime service — the Phoenix channels protocol as `@supabase/realtime-js`
 * speaks it (vsn 1.0.0 and 2.0.0 with its binary broadcast frames), Broadcast, Presence, private
 * channels authorized by JWT + an RLS-like hook, broadcast replay and the REST broadcast API — so
 * the real client can be tested without the internet or a project. For tests and offline
 * development only, never a production server: it keeps everything in memory, has no database
 * (no Postgres Changes) and no rate limits beyond the presence one.
 */
export async function createSupabaseEmulator(
  options: SupabaseEmulatorOptions = {},
): Promise<SupabaseEmulator> {
  const jwtSecret = options.jwtSecret ?? DEFAULT_SUPABASE_JWT_SECRET;
  const secret = new TextEncoder().encode(jwtSecret);
  const host = options.host ?? '127.0.0.1';
  const hub = new EmulatorHub();
  const settings: EmulatorSettings = {
    hub,
    secret,
    authorize: options.authorize ?? ((claims) => claims.role === 'authenticated'),
    privateOnly: options.privateOnly ?? false,
    presenceRateLimit: options.presenceRateLimit ?? { maxCalls: 5, windowMs: 30_000 },
  };
  const anonKey = await signSupabaseToken(demoKeyClaims('anon'), secret);
  const serviceKey = await signSupabaseToken(demoKeyClaims('service_role'), secret);
  const sockets = new Map<string, EmulatorSocket>();
  let port = options.port ?? 0;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;

  const listen = async () => {
    const http = createServer(createRestHandler(settings));
    const upgrades = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req, raw: Socket, head: Buffer) => {
      void acceptUpgrade(settings, req, raw, head, upgrades, (session) => {
        sockets.set(session.id, session);
        return () => sockets.delete(session.id);
      }).catch(() => raw.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    port = (http.address() as AddressInfo).port;
    server = http;
    wss = upgrades;
  };
  const shutdown = async () => {
    const http = server;
    const upgrades = wss;
    server = undefined;
    wss = undefined;
    if (!http || !upgrades) return;
    for (const client of upgrades.clients) client.terminate();
    await new Promise<void>((resolve) => upgrades.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  await listen();

  const session = (connectionId: string) => {
    const found = sockets.get(connectionId);
    if (!found) throw new Error(`The Supabase emulator has no connection "${connectionId}".`);
    return found;
  };
  return {
    host,
    get port() {
      return port;
    },
    get url() {
      return `ws://${host}:${port}/realtime/v1`;
    },
    get httpUrl() {
      return `http://${host}:${port}`;
    },
    jwtSecret,
    anonKey,
    serviceKey,
    signToken: (claims = {}) => signSupabaseToken(claims, secret),
    clientOptions: () => ({
      params: { apikey: anonKey },
      transport: WebSocket as unknown as SupabaseEmulatorClientOptions['transport'],
    }),
    connections: () =>
      [...sockets.values()].map((s) => ({
        connectionId: s.id,
        role: s.claims.role,
        sub: typeof s.claims.sub === 'string' ? s.claims.sub : undefined,
        topics: s.topics,
      })),
    subscriberCount: (topic, countOptions) =>
      hub.count(topic.replace(/^realtime:/, ''), countOptions?.private),
    drop: (connectionId) => {
      if (connectionId !== undefined) session(connectionId).drop();
      else for (const s of sockets.values()) s.drop();
    },
    blackhole: (connectionId) => {
      session(connectionId).blackholed = true;
    },
    rejectAuth: (rule = {}) => {
      const entry = { ...rule };
      hub.rejections.add(entry);
      return () => {
        hub.rejections.delete(entry);
      };
    },
    refuseJoins: (topic, times) => {
      const subTopic = topic.replace(/^realtime:/, '');
      const joins = hub.joins.get(subTopic) ?? { seen: 0, refuse: 0 };
      joins.refuse = times;
      hub.joins.set(subTopic, joins);
    },
    joinCount: (topic) => hub.joins.get(topic.replace(/^realtime:/, ''))?.seen ?? 0,
    publish: (topic, event, payload, publishOptions = {}) => {
      const isPrivate = publishOptions.private ?? false;
      const stored =
        isPrivate && (publishOptions.store ?? true) ? hub.store(topic, event, payload) : undefined;
      hub.broadcast(topic, isPrivate, {
        kind: 'json',
        payload: stored
          ? { event, meta: { id: stored.id }, payload, type: 'broadcast' }
          : { event, payload, type: 'broadcast' },
        ...(stored ? { id: stored.id } : {}),
      });
    },
    stop: async (stopOptions = {}) => {
      await shutdown();
      if (stopOptions.clearState) hub.clearStored();
    },
    start: listen,
    close: shutdown,
  };
}
