import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { servePusherHttpApi } from './internal/pusherHttpApi.js';
import { servePusherSocket } from './internal/pusherSocketProtocol.js';
import { type EmulatorSocket, PusherAppState } from './internal/pusherState.js';

export interface PusherEmulatorOptions {
  appId: string;
  key: string;
  secret: string;
  /** 0 (the default) picks a free port; restarts keep the port first chosen. */
  port?: number;
  /** Default `127.0.0.1`: the emulator is for tests and offline development, never exposed. */
  host?: string;
  /** Seconds, sent in `connection_established`. Default 120 (what Pusher sends). */
  activityTimeoutSeconds?: number;
  /** How long to wait for a reply to the server's ping before closing with 4201. Default 30 000 ms. */
  pongTimeoutMs?: number;
  /**
   * How a bad subscription signature is answered. `pusher-error` (default): `pusher:error` with
   * `code: null`, as Pusher does. `subscription-error`: `pusher:subscription_error` with a status,
   * as soketi does.
   */
  subscriptionErrorStyle?: 'pusher-error' | 'subscription-error';
  /**
   * Client events each connection may send per second, as Pusher enforces (10). Excess events are
   * not relayed: the sender gets `pusher:error` code 4301 "Client event rejected due to rate
   * limit" and stays connected. `false` turns the limit off. Default 10.
   */
  clientEventsPerSecond?: number | false;
  /** Client events a quiet connection may send at once before the rate applies. Default: `clientEventsPerSecond`. */
  clientEventBurst?: number;
}

/** A running emulator: addresses, options for both SDKs, and fault injection. */
export interface PusherEmulator {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  readonly host: string;
  /** The bound port (stable across `stop()`/`start()`). */
  readonly port: number;
  /** `http://host:port`, the HTTP API base. */
  readonly url: string;
  /** Options for `new Pusher(key, …)` (pusher-js): plain ws to this emulator, no fallbacks. */
  clientOptions(): {
    cluster: string;
    wsHost: string;
    wsPort: number;
    forceTLS: false;
    enabledTransports: ['ws'];
  };
  /** Options for `new Pusher({ … })` (the `pusher` server SDK). */
  serverOptions(): {
    appId: string;
    key: string;
    secret: string;
    host: string;
    port: string;
    useTLS: false;
  };
  /** Live socket ids. */
  socketIds(): string[];
  /** Close one socket abruptly (no close frame), as a network failure would. */
  dropSocket(socketId: string): boolean;
  /** Close one socket with a Pusher close code, e.g. 4200 (reconnect) or 4009 (refused). */
  closeSocket(socketId: string, code: number, reason?: string): boolean;
  /** Keep the socket open but stop delivering to it and ignore what it sends. */
  blackholeSocket(socketId: string): boolean;
  /** Refuse matching subscriptions even when correctly signed, until the returned undo runs. */
  rejectSubscriptions(predicate: (channel: string, socketId: string) => boolean): () => void;
  subscriptionCount(channel: string): number;
  /** Presence user_ids on a channel, one per user however many sockets it has. */
  presenceUserIds(channel: string): string[];
  /** An outage: close every socket and stop listening; `start()` comes back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop for good. Every emulator a test starts must be closed by that test. */
  close(): Promise<void>;
}

/**
 * Start a local Pusher Channels emulator (protocol 7 over WebSocket, plus the HTTP API the
 * `pusher` server SDK calls, with real signature checks) on 127.0.0.1. For tests and offline
 * development only: the real `pusher-js` and `pusher` SDKs talk to it unchanged, pointed at its
 * host and port, so no test needs the internet or a Pusher account.
 */
export async function createPusherEmulator(
  options: PusherEmulatorOptions,
): Promise<PusherEmulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new PusherAppState();
  const refusals = new Set<(channel: string, socketId: string) => boolean>();
  const rate = options.clientEventsPerSecond ?? 10;
  if (rate !== false && !(Number.isFinite(rate) && rate > 0)) {
    throw new TypeError(
      `createPusherEmulator: "clientEventsPerSecond" must be a positive number or false; got ${String(rate)}.`,
    );
  }
  const burst = options.clientEventBurst ?? (rate === false ? 0 : Math.max(1, rate));
  if (rate !== false && !(Number.isFinite(burst) && burst >= 1)) {
    throw new TypeError(
      `createPusherEmulator: "clientEventBurst" must be a number ≥ 1; got ${String(burst)}.`,
    );
  }
  let nextId = 1;
  const socketContext = {
    state,
    key: options.key,
    secret: options.secret,
    activityTimeoutSeconds: options.activityTimeoutSeconds ?? 120,
    pongTimeoutMs: options.pongTimeoutMs ?? 30_000,
    subscriptionErrorStyle: options.subscriptionErrorStyle ?? 'pusher-error',
    maxClientEventBytes: 10 * 1024,
    clientEventLimit: rate === false ? undefined : { perSecond: rate, burst },
    refuses: (socketId: string, channel: string) =>
      [...refusals].some((refuse) => refuse(channel, socketId)),
    // Socket ids must match /^\d+\.\d+$/ or the pusher SDK refuses to sign for them.
    nextSocketId: () => `${100_000 + Math.floor(Math.random() * 800_000)}.${nextId++}`,
  };
  const terminateUser = (userId: string) => {
    for (const socket of state.sockets.values()) {
      if (socket.userId === userId) socket.ws.close(4009, 'Connections terminated by the server');
    }
  };
  const apiContext = {
    state,
    appId: options.appId,
    key: options.key,
    secret: options.secret,
    maxEventBytes: 10 * 1024,
    terminateUser,
  };
  const wss = new WebSocketServer({ noServer: true });
  let server: Server | undefined;
  let port = options.port ?? 0;

  const start = async () => {
    if (server) return;
    const next = createServer((request, response) => {
      void servePusherHttpApi(apiContext, request, response);
    });
    next.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url ?? '/', 'http://emulator');
      const match = /^\/app\/([^/]+)$/.exec(url.pathname);
      wss.handleUpgrade(request, socket, head, (ws) => {
        if (!match || match[1] !== options.key) {
          ws.send(errorFrame(4001, `App key ${match?.[1] ?? ''} not in this cluster`));
          ws.close(4001, 'App key not in this cluster');
          return;
        }
        if (url.searchParams.get('protocol') !== '7') {
          ws.send(errorFrame(4007, 'Unsupported protocol version: use protocol=7'));
          ws.close(4007, 'Unsupported protocol version');
          return;
        }
        servePusherSocket(socketContext, ws);
      });
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, host, () => {
        next.off('error', reject);
        resolve();
      });
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };

  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    for (const socket of [...state.sockets.values()]) {
      socket.ws.terminate();
      state.remove(socket);
    }
    current.closeAllConnections();
    await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  const withSocket = (socketId: string, act: (socket: EmulatorSocket) => void): boolean => {
    const socket = state.sockets.get(socketId);
    if (!socket) return false;
    act(socket);
    return true;
  };

  await start();
  return {
    appId: options.appId,
    key: options.key,
    secret: options.secret,
    host,
    get port() {
      return port;
    },
    get url() {
      return `http://${host}:${port}`;
    },
    clientOptions: () => ({
      cluster: 'mt1',
      wsHost: host,
      wsPort: port,
      forceTLS: false,
      enabledTransports: ['ws'],
    }),
    serverOptions: () => ({
      appId: options.appId,
      key: options.key,
      secret: options.secret,
      host,
      port: String(port),
      useTLS: false,
    }),
    socketIds: () => [...state.sockets.keys()],
    dropSocket: (socketId) => withSocket(socketId, (socket) => socket.ws.terminate()),
    closeSocket: (socketId, code, reason = '') =>
      withSocket(socketId, (socket) => socket.ws.close(code, reason)),
    blackholeSocket: (socketId) =>
      withSocket(socketId, (socket) => {
        socket.blackholed = true;
      }),
    rejectSubscriptions: (predicate) => {
      refusals.add(predicate);
      return () => {
        refusals.delete(predicate);
      };
    },
    subscriptionCount: (channel) => state.subscriptionCount(channel),
    presenceUserIds: (channel) => state.userIds(channel),
    stop,
    start,
    close: async () => {
      await stop();
      wss.close();
    },
  };
}

function errorFrame(code: number, message: string): string {
  return JSON.stringify({ event: 'pusher:error', data: JSON.stringify({ code, message }) });
}
