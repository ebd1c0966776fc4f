import type { Server as HttpServer } from 'node:http';
import { ErrorCodes } from '@patchbay/realtime-core';
import { type ServerOptions, Server as SocketIOServer } from 'socket.io';
import type { Hub, HubSession } from '../hub.js';
import { HubError } from '../hubError.js';

/** The default path of the hub's Socket.IO endpoint (the client transport uses the same). */
export const DEFAULT_SOCKETIO_PATH = '/patchbay/socket.io';

export interface AttachSocketIOOptions {
  /** Socket.IO path on the HTTP server. Default `/patchbay/socket.io`. */
  path?: string;
  /** Extra Socket.IO server options (CORS, ping timing …) when an HTTP server is given. */
  server?: Partial<ServerOptions>;
}

export interface SocketIOEndpoint {
  readonly io: SocketIOServer;
  /** Disconnect every socket and stop accepting; the HTTP server stays yours to close. */
  close(): Promise<void>;
}

interface HandshakeAuth {
  token?: unknown;
  clientId?: unknown;
  echo?: unknown;
}

/**
 * Serve the hub over Socket.IO: on an `http.Server` (a new Socket.IO server is created on it), or
 * on an existing Socket.IO server. Protocol: the handshake's `auth` carries `{ token, clientId,
 * echo }`; requests are `pb` events `{ op, … }` answered through the ack; the hub pushes
 * `pb:message`, `pb:presence` and `pb:error` events.
 */
export function attachSocketIO(
  hub: Hub,
  target: HttpServer | SocketIOServer,
  options: AttachSocketIOOptions = {},
): SocketIOEndpoint {
  const ownServer = !(target instanceof SocketIOServer);
  const io = ownServer
    ? new SocketIOServer(target as HttpServer, {
        path: options.path ?? DEFAULT_SOCKETIO_PATH,
        // Room above the hub's own size limit, so an oversized message gets the hub's clear
        // error instead of Socket.IO silently closing the connection.
        maxHttpBufferSize: hub.maxMessageBytes * 4 + 64 * 1024,
        cors: { origin: true, credentials: true },
        ...options.server,
      })
    : (target as SocketIOServer);

  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as HandshakeAuth;
    const token = typeof auth.token === 'string' ? auth.token : undefined;
    const clientId =
      typeof auth.clientId === 'string' && auth.clientId.length > 0 ? auth.clientId : undefined;
    hub
      .openSession(
        { token, clientId, echo: auth.echo !== false },
        {
          send: (frame) => {
            if (frame.type === 'message') {
              const { type: _type, ...message } = frame;
              if (message.ephemeral) socket.volatile.emit('pb:message', message);
              else socket.emit('pb:message', message);
            } else if (frame.type === 'presence') {
              socket.emit('pb:presence', { channel: frame.channel, event: frame.event });
            } else {
              socket.emit('pb:error', frame.error);
            }
          },
          // Close the engine connection without a goodbye: the client sees a network-style drop.
          terminate: () => socket.conn.close(),
        },
      )
      .then(
        (session) => {
          socket.data.session = session;
          next();
        },
        (error: unknown) => {
          const wire =
            error instanceof HubError
              ? error.toWire()
              : { code: ErrorCodes.TransportError, message: String(error), retryable: true };
          const refusal = new Error(wire.message) as Error & { data?: unknown };
          refusal.data = wire;
          next(refusal);
        },
      );
  });

  io.on('connection', (socket) => {
    const session = socket.data.session as HubSession;
    socket.emit('pb:welcome', { clientId: session.clientId, connectionId: session.id });
    socket.on('pb', (frame: unknown, ack?: unknown) => {
      void session.handle(frame).then((reply) => {
        if (reply === undefined) return;
        if (typeof ack === 'function') ack(reply);
        else if (!reply.ok) socket.emit('pb:error', reply.error);
      });
    });
    socket.onAny((event: string) => {
      if (event === 'pb') return;
      socket.emit('pb:error', {
        code: ErrorCodes.InvalidFrame,
        message: `Unknown event "${event}": the hub speaks "pb" requests ({ op: "subscribe" | "unsubscribe" | "publish" | "presence" | "history", … }).`,
      });
    });
    socket.on('disconnect', (reason) => {
      // The app closed it: leave at once. Anything else is a drop: presence waits out the grace.
      void session.close(reason === 'client namespace disconnect' ? 'client' : 'lost');
    });
  });

  return {
    io,
    close: async () => {
      io.disconnectSockets(true);
      if (ownServer) {
        // io.close() would also close the HTTP server, which belongs to the caller.
        io.engine.close();
      }
    },
  };
}
