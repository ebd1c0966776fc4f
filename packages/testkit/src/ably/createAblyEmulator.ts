import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { Credentials, isWireError, type Principal } from './credentials.js';
import { type AblyAuthRejection, EmulatorContext } from './emulatorContext.js';
import { EmulatorSession } from './emulatorSession.js';
import { Action, type WireError, wireError } from './protocol.js';
import { createRestHandler } from './restHandler.js';

export type { AblyAuthRejection } from './emulatorContext.js';

export interface AblyEmulatorOptions {
  /** The key clients use (`appId.keyId:secret`). Default `patchbay.emulator:local-secret`. */
  apiKey?: string;
  /** Default 0 (any free port). Use a fixed port for offline development. */
  port?: number;
  /** Default `127.0.0.1`: the emulator is for tests and offline development, not a network service. */
  host?: string;
  /** Sent in CONNECTED; the emulator pings every half of it. Default 15 000 ms (Ably's). */
  maxIdleInterval?: number;
  /** How long a dropped connection stays resumable. Default 120 000 ms (Ably's). */
  connectionStateTtl?: number;
  /**
   * How long a dropped connection's presence members stay present before they leave, unless the
   * connection resumes first. Default 15 000 ms (Ably's). A deliberate close leaves at once.
   */
  remainPresentForMs?: number;
  /**
   * Largest publish accepted at once, measured as ably-js measures it (name + data + clientId +
   * extras), and advertised in CONNECTED. Over it, a realtime publish is NACKed and a REST publish
   * answers HTTP 413, both with code 40009, as on Ably. Default 65 536 (Ably's).
   */
  maxMessageSize?: number;
  /** Messages kept per channel for history and replay. Default 1 000. */
  historyLimit?: number;
}

/** The `ably` client options that point a client at this emulator, with nothing leaving loopback. */
export interface AblyEmulatorClientOptions {
  key: string;
  endpoint: string;
  port: number;
  tls: false;
  useBinaryProtocol: false;
  fallbackHosts: string[];
  /** ably-js's "is the internet up" checks (slow WebSocket, fallbacks), answered locally too. */
  connectivityCheckUrl: string;
  wsConnectivityCheckUrl: string;
}

export interface AblyEmulator {
  readonly host: string;
  readonly port: number;
  readonly apiKey: string;
  /** `http://127.0.0.1:PORT` (REST) — the WebSocket endpoint is the same address. */
  readonly url: string;
  clientOptions(): AblyEmulatorClientOptions;
  /** Live connections (with an open socket). */
  connections(): Array<{ connectionId: string; clientId: string | undefined }>;
  /** Connections attached to a channel. */
  subscriberCount(channel: string): number;
  /** Cut one connection (or every one) abruptly; it stays resumable. */
  drop(connectionId?: string): void;
  /** Keep a connection open but stop answering it and sending to it. */
  blackhole(connectionId: string): void;
  /** Refuse connects or channel operations until the returned function is called. */
  rejectAuth(rule: AblyAuthRejection): () => void;
  /**
   * Publish as the service itself (no REST round trip, works while stopped): stored, given a
   * serial and delivered like a REST publish. `data` is relayed as given (string or JSON value).
   */
  publish(
    channel: string,
    message: { name: string; data?: unknown; id?: string; clientId?: string },
  ): void;
  /** Forget a channel's history, so a re-attach cannot replay across the gap. */
  truncateHistory(channel: string): void;
  /**
   * Detach a channel from the service side (DETACHED with an error) for one connection or every
   * one attached: ably-js re-attaches by itself, resuming from its channelSerial. Synchronous, so
   * what a test publishes or truncates right after happens before that re-attach.
   */
  detachChannel(channel: string, connectionId?: string): void;
  /**
   * Refuse the next `times` ATTACHes of `channel` (from any connection) the way Ably refuses one
   * it cannot serve right now: DETACHED with error 50001 (HTTP 500). The connection stays up.
   */
  refuseAttaches(channel: string, times: number): void;
  /** ATTACHes of `channel` the emulator has received, refused or not. */
  attachCount(channel: string): number;
  /** An outage: close every socket and stop listening, keeping all state. */
  stop(): Promise<void>;
  /** Listen again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stop for good and free the port. */
  close(): Promise<void>;
}

/**
 * A local Ably realtime service (JSON protocol over WebSocket, plus the REST routes ably-js
 * calls), so the real `ably` SDK can be tested without the internet or an account. For tests and
 * offline development only: it keeps everything in memory and implements only what Patchbay and
 * typical apps use (no msgpack, encryption, push, objects or annotations).
 */
export async function createAblyEmulator(options: AblyEmulatorOptions = {}): Promise<AblyEmulator> {
  const apiKey = options.apiKey ?? 'patchbay.emulator:local-secret';
  const host = options.host ?? '127.0.0.1';
  const ctx = new EmulatorContext(new Credentials(apiKey), {
    maxIdleInterval: options.maxIdleInterval ?? 15_000,
    connectionStateTtl: options.connectionStateTtl ?? 120_000,
    remainPresentForMs: options.remainPresentForMs ?? 15_000,
    maxMessageSize: options.maxMessageSize ?? 65_536,
    historyLimit: options.historyLimit ?? 1_000,
  });
  let port = options.port ?? 0;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;

  const listen = async () => {
    const http = createServer(createRestHandler(ctx));
    const sockets = new WebSocketServer({ server: http });
    sockets.on('connection', (socket, req) => accept(ctx, socket, req));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    port = (http.address() as AddressInfo).port;
    server = http;
    wss = sockets;
  };
  const shutdown = async () => {
    const http = server;
    const sockets = wss;
    server = undefined;
    wss = undefined;
    if (!http || !sockets) return;
    for (const client of sockets.clients) client.terminate();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  await listen();

  const session = (connectionId: string) => {
    const found = ctx.sessions.get(connectionId);
    if (!found) throw new Error(`The Ably emulator has no connection "${connectionId}".`);
    return found;
  };
  return {
    host,
    get port() {
      return port;
    },
    apiKey,
    get url() {
      return `http://${host}:${port}`;
    },
    clientOptions: () => ({
      key: apiKey,
      endpoint: host,
      port,
      tls: false,
      useBinaryProtocol: false,
      fallbackHosts: [],
      connectivityCheckUrl: `http://${host}:${port}/is-the-internet-up.txt`,
      wsConnectivityCheckUrl: `ws://${host}:${port}/up`,
    }),
    connections: () =>
      [...ctx.sessions.values()]
        .filter((s) => s.live)
        .map((s) => ({ connectionId: s.id, clientId: s.clientId })),
    subscriberCount: (channel) => ctx.existing(channel)?.attached.size ?? 0,
    drop: (connectionId) => {
      if (connectionId !== undefined) session(connectionId).drop();
      else for (const s of ctx.sessions.values()) s.drop();
    },
    blackhole: (connectionId) => {
      session(connectionId).blackholed = true;
    },
    rejectAuth: (rule) => {
      const entry = { ...rule };
      ctx.rejections.add(entry);
      return () => {
        ctx.rejections.delete(entry);
      };
    },
    publish: (name, message) => {
      const channel = ctx.channel(name);
      const stored = channel.append({ ...message }, Date.now());
      if (stored) ctx.deliver(channel, stored);
    },
    truncateHistory: (channel) => ctx.channel(channel).truncate(),
    detachChannel: (channel, connectionId) => {
      const sessions = connectionId !== undefined ? [session(connectionId)] : ctx.sessions.values();
      for (const s of sessions) s.detachedByService(channel);
    },
    refuseAttaches: (channel, times) => {
      const attaches = ctx.attaches.get(channel) ?? { seen: 0, refuse: 0 };
      attaches.refuse = times;
      ctx.attaches.set(channel, attaches);
    },
    attachCount: (channel) => ctx.attaches.get(channel)?.seen ?? 0,
    stop: shutdown,
    start: listen,
    close: async () => {
      await shutdown();
      for (const s of [...ctx.sessions.values()]) s.end();
    },
  };
}

function accept(ctx: EmulatorContext, socket: WebSocket, req: IncomingMessage): void {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname === '/up') {
    // ably-js's WebSocket connectivity check only needs the socket to open.
    socket.close();
    return;
  }
  const query = url.searchParams;
  const admitted = admit(ctx, query);
  if (isWireError(admitted)) {
    // ERROR without a channel is fatal to the connection, as Ably does for refused credentials.
    socket.send(JSON.stringify({ action: Action.ERROR, error: admitted }));
    socket.close();
    return;
  }
  const { principal, clientId } = admitted;
  const heartbeats = query.get('heartbeats') === 'true';
  const resumeKey = query.get('resume') ?? query.get('recover');
  const previous = resumeKey ? ctx.sessions.get(resumeKey.split('!')[0] ?? '') : undefined;
  if (previous && previous.key === resumeKey && !previous.live && previous.clientId === clientId) {
    previous.principal = principal;
    previous.bind(socket, heartbeats, true);
    return;
  }
  const fresh = new EmulatorSession(ctx, principal, clientId, query.get('echo') !== 'false');
  ctx.sessions.set(fresh.id, fresh);
  fresh.bind(
    socket,
    heartbeats,
    false,
    resumeKey
      ? wireError(80008, 400, 'Unable to recover connection (connection expired).')
      : undefined,
  );
}

/** Check the upgrade's query: format, credentials, clientId and fault rules. */
function admit(
  ctx: EmulatorContext,
  query: URLSearchParams,
): { principal: Principal; clientId: string | undefined } | WireError {
  if ((query.get('format') ?? 'json') !== 'json') {
    return wireError(40000, 400, 'The emulator speaks JSON only: set useBinaryProtocol: false.');
  }
  const key = query.get('key');
  const token = query.get('access_token');
  const principal: Principal | WireError = key
    ? ctx.credentials.checkKey(key)
    : token
      ? ctx.credentials.checkToken(token)
      : wireError(40101, 401, 'No credentials: pass key, or token auth (authCallback / authUrl).');
  if (isWireError(principal)) return principal;
  const asked = query.get('clientId') ?? undefined;
  if (principal.clientId !== undefined && asked !== undefined && asked !== principal.clientId) {
    return wireError(
      40102,
      401,
      `clientId "${asked}" does not match the token's clientId "${principal.clientId}".`,
    );
  }
  const clientId = principal.clientId ?? asked;
  if (ctx.refused(clientId, undefined, 'connect')) {
    return wireError(
      40101,
      401,
      `Connection refused for clientId "${clientId ?? '*'}" (emulator rejectAuth rule).`,
    );
  }
  return { principal, clientId };
}
