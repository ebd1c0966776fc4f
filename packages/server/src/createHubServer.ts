import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublishHandler, DEFAULT_PUBLISH_PATH } from './createPublishHandler.js';
import { Hub, type HubOptions } from './hub.js';
import { normalizeOrigins } from './internal/allowedOrigins.js';
import { serveFetch } from './internal/serveFetch.js';
import type { SocketIOEndpoint } from './socketio/attachSocketIO.js';
import { DEFAULT_SSE_PATH, type SseHandlerOptions } from './sse/createSseHandler.js';
import { createSseNodeHandler } from './sse/createSseNodeHandler.js';

export interface HubServerOptions extends HubOptions {
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** An existing hub to serve (for example to restart the HTTP side while keeping state). */
  hub?: Hub;
  socketioPath?: string;
  /**
   * Browser origins, besides the hub's own, that may use the Socket.IO and SSE endpoints:
   * `['https://app.example.com']`, or `true` for any origin (development only: any page the
   * user visits could then talk to the hub with the user's tokens). Default: none — a page on
   * another origin is refused (Socket.IO handshake refused, SSE requests answered 403).
   */
  allowedOrigins?: readonly string[] | true;
  /** SSE endpoints' options (base path `/patchbay/sse`, heartbeat interval); origins: `allowedOrigins`. */
  sse?: Omit<SseHandlerOptions, 'cors'>;
  /**
   * Turns on `POST /patchbay/publish` for app servers in other processes, authorized by
   * `Authorization: Bearer <publishSecret>` (see `createPublishHandler`). Without it the
   * endpoint answers 404 saying how to turn it on.
   */
  publishSecret?: string;
  /** Where the publish endpoint lives. Default `/patchbay/publish`. */
  publishPath?: string;
}

export interface HubServer {
  readonly hub: Hub;
  readonly http: HttpServer;
  readonly socketio: SocketIOEndpoint;
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A ready-to-run hub on its own HTTP server: Socket.IO and SSE endpoints, `GET /health`, and
 * `POST /patchbay/publish` for app servers when `publishSecret` is set.
 */
export async function createHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const {
    port = 8787,
    host = '127.0.0.1',
    hub: existing,
    socketioPath,
    sse,
    allowedOrigins = [],
    publishSecret,
    publishPath = DEFAULT_PUBLISH_PATH,
    ...hubOptions
  } = options;
  const hub = existing ?? new Hub(hubOptions);
  // Loaded here, not at the top: importing the package (e.g. for the SSE handler in a route
  // handler) must not load socket.io.
  const { attachSocketIO, DEFAULT_SOCKETIO_PATH } = await import(
    './socketio/attachSocketIO.js'
  ).catch((error: unknown) => {
    throw new Error(
      `createHubServer serves Socket.IO, which needs the socket.io package (npm install socket.io): ${(error as Error).message}`,
      { cause: error },
    );
  });
  const origin = normalizeOrigins(allowedOrigins, 'createHubServer allowedOrigins');
  const sseHandler = createSseNodeHandler(hub, { ...sse, cors: { origin } });
  const publishHandler = createPublishHandler(hub, { secret: publishSecret });
  const http = createServer((req, res) => {
    if (req.url === publishPath || req.url?.startsWith(`${publishPath}?`)) {
      void serveFetch(publishHandler, req, res);
      return;
    }
    if (req.url?.startsWith(`${sse?.basePath ?? DEFAULT_SSE_PATH}/`)) {
      sseHandler(req, res);
      return;
    }
    if (req.url === '/health') {
      void hub.stats().then((stats) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, ...stats }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(
      'Not found. The Patchbay hub serves Socket.IO at ' + (socketioPath ?? DEFAULT_SOCKETIO_PATH),
    );
  });
  const socketioOptions = { ...(socketioPath ? { path: socketioPath } : {}), cors: { origin } };
  const socketio = attachSocketIO(hub, http, socketioOptions);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    hub,
    http,
    socketio,
    url,
    port: address.port,
    close: async () => {
      await socketio.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
