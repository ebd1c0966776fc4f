import type { Server as HttpServer, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ErrorCodes } from '@patchbay/realtime-core';
import { type ServerOptions, type Socket, Server as SocketIOServer } from 'socket.io';
import type { MessageFrame, OutboundFrame } from '../frames.js';
import type { Hub, HubSession, RoomDelivery } from '../hub.js';
import { HubError } from '../hubError.js';
import { normalizeOrigins, type OriginRule, originAllowed } from '../internal/allowedOrigins.js';
import { slowConsumerError, watchBacklog } from '../internal/slowConsumer.js';

/** The default path of the hub's Socket.IO endpoint (the client transport uses the same). */
export const DEFAULT_SOCKETIO_PATH = '/patchbay/socket.io';

/**
 * The Socket.IO room of a Patchbay channel, where its live messages are broadcast. The prefix
 * keeps channels apart from the rooms Socket.IO names after socket ids and from the app's own
 * rooms (`:` is not a channel-name character).
 */
export function socketIORoom(channel: string): string {
  return `pb:${channel}`;
}

export interface AttachSocketIOOptions {
  /** Socket.IO path on the HTTP server. Default `/patchbay/socket.io`. */
  path?: string;
  /**
   * Browser origins, besides the hub's own, that may connect: `['https://app.example.com']`, or
   * `true` for any (development only). Default: none. A handshake that carries an `Origin`
   * header is refused unless that origin is the hub's own (its host is the request's `Host`) or
   * listed; clients that send no `Origin` (Node, native apps) are not browsers and connect.
   * The check runs in Socket.IO's `allowRequest`, because CORS does not cover WebSocket
   * upgrades; Socket.IO's `cors` option is set only for listed origins. Behind a proxy that
   * rewrites `Host`, list the page's origin. On an existing Socket.IO server the same check runs
   * as a namespace middleware.
   */
  cors?: { origin: OriginRule };
  /**
   * Extra Socket.IO server options (ping timing, adapter …) when an HTTP server is given. An
   * `allowRequest` given here runs after the origin check; a `cors` given here only changes the
   * CORS headers — which origins may connect is `cors` above.
   */
  server?: Partial<ServerOptions>;
}

export interface SocketIOEndpoint {
  readonly io: SocketIOServer;
  /** Disconnect every socket and stop accepting; the HTTP server stays yours to close. */
  close(): Promise<void>;
}

type MessagePayload = Omit<MessageFrame, 'type'>;

/** `pb:message` payloads, one per frame: the hub shares a message's frame across its sessions. */
const payloads = new WeakMap<MessageFrame, MessagePayload>();

function messagePayload(frame: MessageFrame): MessagePayload {
  let payload = payloads.get(frame);
  if (!payload) {
    const { type: _type, ...message } = frame;
    payload = message;
    payloads.set(frame, payload);
  }
  return payload;
}

/**
 * The bytes emitted to one socket that the network has not taken yet, from engine.io's public
 * socket events: `packetCreate` puts a packet in the connection's write buffer, `flush` hands the
 * whole buffer to the transport, which stays busy (`transport.writable` false) until the socket
 * took it — a WebSocket whose client stopped reading never gets there, and the next packets wait
 * in the buffer. Unsent = the buffer, plus the batch in flight while the transport is busy.
 * `onOverBound` runs when a packet that has to wait (whoever wrote it, a room broadcast included)
 * takes the unsent bytes past `bound`.
 */
function unsentBytes(conn: Socket['conn'], bound: number, onOverBound: () => void): () => number {
  let queued = 0;
  let inFlight = 0;
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    // A writable transport takes the packet at once (engine.io flushes right after this event):
    // only packets that will wait are counted, and the batch in flight misses at most that one.
    // This listener runs once per packet per socket — 1 000 times per message in the fan-out
    // bench, where counting every packet through closures was 2.4 % of the hub's busy time.
    if (conn.transport.writable) return;
    queued += packetBytes(packet.data);
    if (queued + inFlight > bound) onOverBound();
  });
  conn.on('flush', () => {
    inFlight = queued;
    queued = 0;
  });
  return () => queued + (conn.transport.writable ? 0 : inFlight);
}

// A room broadcast hands every socket the same encoded string: its byte length is taken once.
let lastPacket: string | undefined;
let lastPacketBytes = 0;

function packetBytes(data: unknown): number {
  if (typeof data === 'string') {
    if (data !== lastPacket) {
      lastPacket = data;
      lastPacketBytes = Buffer.byteLength(data);
    }
    return lastPacketBytes;
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

interface HandshakeAuth {
  token?: unknown;
  clientId?: unknown;
  echo?: unknown;
}

type AllowRequest = NonNullable<ServerOptions['allowRequest']>;

/**
 * Serve the hub over Socket.IO: on an `http.Server` (a new Socket.IO server is created on it), or
 * on an existing Socket.IO server. Protocol: the handshake's `auth` carries `{ token, clientId,
 * echo }`; requests are `pb` events `{ op, … }` answered through the ack; the hub pushes
 * `pb:message`, `pb:presence`, `pb:discontinuity` and `pb:error` events.
 *
 * Every channel is a Socket.IO room (`socketIORoom(channel)`): a connection joins it once the
 * history it asked for is sent, and live messages are broadcast to the room with Socket.IO's
 * public emit API (encoded once per message), so Socket.IO's own tooling sees them.
 */
export function attachSocketIO(
  hub: Hub,
  target: HttpServer | SocketIOServer,
  options: AttachSocketIOOptions = {},
): SocketIOEndpoint {
  const origins = normalizeOrigins(options.cors?.origin ?? [], 'attachSocketIO cors.origin');
  const admits = (headers: IncomingHttpHeaders): boolean =>
    headers.origin === undefined || originAllowed(origins, headers.origin, headers.host);
  const refusal = (headers: IncomingHttpHeaders): string =>
    `The page's origin ${headers.origin} may not use this Patchbay hub. Serve the page from the hub's origin, or list it in the hub's allowed origins (createHubServer allowedOrigins, attachSocketIO cors.origin).`;

  const ownServer = !(target instanceof SocketIOServer);
  let io: SocketIOServer;
  if (ownServer) {
    const appAllowRequest = options.server?.allowRequest;
    const allowRequest: AllowRequest = (req: IncomingMessage, callback) => {
      if (!admits(req.headers)) {
        callback(refusal(req.headers), false);
        return;
      }
      if (appAllowRequest) appAllowRequest(req, callback);
      else callback(null, true);
    };
    const listed = origins === true || origins.length > 0;
    io = new SocketIOServer(target as HttpServer, {
      path: options.path ?? DEFAULT_SOCKETIO_PATH,
      // Room above the hub's own size limit, so an oversized message gets the hub's clear
      // error instead of Socket.IO silently closing the connection.
      maxHttpBufferSize: hub.maxMessageBytes * 4 + 64 * 1024,
      ...(listed ? { cors: { origin: origins, credentials: true } } : {}),
      ...options.server,
      allowRequest,
    });
  } else {
    io = target as SocketIOServer;
    io.use((socket, next) => {
      if (admits(socket.handshake.headers)) {
        next();
        return;
      }
      const refused = new Error(refusal(socket.handshake.headers)) as Error & { data?: unknown };
      refused.data = { code: ErrorCodes.AuthRejected, message: refused.message };
      next(refused);
    });
  }

  // Hub connection id → socket id, to leave out the sockets the hub names in a broadcast.
  const socketIds = new Map<string, string>();
  // Room broadcasts reach this process's sockets only: other hub processes get the message from
  // the hub's broker, and deliver it to their own sockets.
  const delivery: RoomDelivery = {
    broadcast(frame, except) {
      const payload = messagePayload(frame);
      let to = io.local.to(socketIORoom(frame.channel));
      if (except.length > 0) {
        const skipped: string[] = [];
        for (const connectionId of except) {
          const socketId = socketIds.get(connectionId);
          if (socketId !== undefined) skipped.push(socketId);
        }
        to = to.except(skipped);
      }
      if (payload.ephemeral) to = to.volatile;
      to.emit('pb:message', payload);
    },
  };

  // Slow-consumer checks, run once the current turn's writes are queued whole (a room broadcast
  // writes to every socket of the room): one microtask for all the sockets written to.
  const dueChecks: Array<() => void> = [];
  const runDueChecks = () => {
    for (let i = 0; i < dueChecks.length; i++) (dueChecks[i] as () => void)();
    dueChecks.length = 0;
  };

  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as HandshakeAuth;
    const token = typeof auth.token === 'string' ? auth.token : undefined;
    const clientId =
      typeof auth.clientId === 'string' && auth.clientId.length > 0 ? auth.clientId : undefined;
    let checkDue = false;
    const check = () => {
      checkDue = false;
      backlog.check();
    };
    // Within the bound there is nothing to check: a reader that keeps up costs no check.
    const unsent = unsentBytes(socket.conn, hub.maxBufferedBytes, () => {
      if (checkDue) return;
      checkDue = true;
      if (dueChecks.push(check) === 1) queueMicrotask(runDueChecks);
    });
    let slow = false;
    // Over the bound: stop buffering for this socket. The goodbye waits behind what is queued (a
    // slow reader still gets it, then the disconnect); the socket disconnects now (leaving its
    // rooms), so the session closes as `lost` and the client resumes from its cursor when it
    // reconnects; after a linger the engine connection is closed discarding its buffer, so a
    // stopped reader frees it.
    const closeSlowConsumer = () => {
      slow = true;
      hub.noteSlowConsumer();
      socket.emit('pb:error', slowConsumerError(hub.maxBufferedBytes));
      socket.disconnect(true);
      const linger = setTimeout(() => {
        if (socket.conn.readyState !== 'closed') socket.conn.close(true);
      }, hub.slowConsumerLingerMs);
      linger.unref?.();
    };
    const backlog = watchBacklog(hub, unsent, closeSlowConsumer);
    socket.on('disconnect', () => backlog.stop());
    const sendFrame = (frame: OutboundFrame): void => {
      if (frame.type === 'message') {
        const message = messagePayload(frame);
        if (message.ephemeral) socket.volatile.emit('pb:message', message);
        else socket.emit('pb:message', message);
      } else if (frame.type === 'presence') {
        socket.emit('pb:presence', { channel: frame.channel, event: frame.event });
      } else if (frame.type === 'discontinuity') {
        const { type: _type, ...discontinuity } = frame;
        socket.emit('pb:discontinuity', discontinuity);
      } else {
        socket.emit('pb:error', frame.error);
      }
    };
    hub
      .openSession(
        { token, clientId, echo: auth.echo !== false },
        {
          send: (frame) => {
            if (!slow) sendFrame(frame);
          },
          // Close the engine connection without a goodbye: the client sees a network-style drop.
          terminate: () => socket.conn.close(),
          unsent,
          rooms: {
            delivery,
            join: (channel) => {
              // A socket that already disconnected must not be added back to a room.
              if (socket.connected) void socket.join(socketIORoom(channel));
            },
            leave: (channel) => {
              void socket.leave(socketIORoom(channel));
            },
          },
        },
      )
      .then(
        (session) => {
          socket.data.session = session;
          socketIds.set(session.id, socket.id);
          next();
        },
        (error: unknown) => {
          const wire =
            error instanceof HubError
              ? error.toWire()
              : { code: ErrorCodes.TransportError, message: String(error), retryable: true };
          const refused = new Error(wire.message) as Error & { data?: unknown };
          refused.data = wire;
          next(refused);
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
      socketIds.delete(session.id);
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
