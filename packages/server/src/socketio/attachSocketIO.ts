import type { Server as HttpServer } from 'node:http';
import { ErrorCodes } from '@patchbay/realtime-core';
import { type ServerOptions, type Socket, Server as SocketIOServer } from 'socket.io';
import type { OutboundFrame } from '../frames.js';
import type { Hub, HubSession } from '../hub.js';
import { HubError } from '../hubError.js';
import {
  SLOW_CONSUMER_LINGER_MS,
  slowConsumerError,
  watchBacklog,
} from '../internal/slowConsumer.js';

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

type MessageFrame = Extract<OutboundFrame, { type: 'message' }>;
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

interface PreEncodedOptions {
  preEncoded: true;
  volatile: boolean;
  compress: boolean;
}

interface PreEncoded {
  packet: object;
  encodedPackets: unknown;
  opts: PreEncodedOptions;
}

/** Socket.IO internals used by its own broadcast (socket.io-adapter), feature-detected. */
interface PreEncodingAdapter {
  _encode(packet: object, opts: PreEncodedOptions): unknown;
}

interface PreEncodedClient {
  conn: { readyState: string };
  writeToEngine(encodedPackets: unknown, opts: PreEncodedOptions): void;
}

interface OutgoingNotifier {
  notifyOutgoingListeners(packet: object): void;
}

/**
 * The bytes emitted to one socket that the network has not taken yet, from engine.io's public
 * events: `packetCreate` puts a packet in the connection's write buffer, `flush` hands the whole
 * buffer to the transport, which stays busy (`transport.writable` false) until the socket took it
 * — a WebSocket whose client stopped reading never gets there, and the next packets wait in the
 * buffer. Unsent = the buffer, plus the batch in flight while the transport is busy.
 */
function unsentBytes(conn: Socket['conn']): () => number {
  let queued = 0;
  let inFlight = 0;
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    queued += packetBytes(packet.data);
  });
  conn.on('flush', () => {
    inFlight = queued;
    queued = 0;
  });
  return () => queued + (conn.transport.writable ? 0 : inFlight);
}

function packetBytes(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
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

  // A message goes to many sockets: encode its `pb:message` packet (and, with `ws`, its WebSocket
  // frame) once per message, as Socket.IO's own broadcast does, instead of once per socket. This
  // uses the adapter's encoder and `client.writeToEngine` (what `io.to(room).emit` uses); when
  // they are missing, or with connection state recovery (emits go through the adapter there), it
  // falls back to `socket.emit`.
  const encoded = new WeakMap<MessageFrame, PreEncoded>();
  const sendPreEncoded = (socket: Socket, frame: MessageFrame): boolean => {
    const adapter = socket.nsp.adapter as unknown as Partial<PreEncodingAdapter>;
    const client = socket.client as unknown as Partial<PreEncodedClient>;
    if (
      typeof adapter._encode !== 'function' ||
      typeof client.writeToEngine !== 'function' ||
      (io as unknown as { opts?: { connectionStateRecovery?: unknown } }).opts
        ?.connectionStateRecovery
    ) {
      return false;
    }
    let ready = encoded.get(frame);
    if (!ready) {
      const payload = messagePayload(frame);
      // 2 is Socket.IO's EVENT packet type.
      const packet = { type: 2, data: ['pb:message', payload], nsp: socket.nsp.name };
      const opts: PreEncodedOptions = {
        preEncoded: true,
        volatile: payload.ephemeral === true,
        compress: true,
      };
      ready = { packet, encodedPackets: adapter._encode(packet, opts), opts };
      encoded.set(frame, ready);
    }
    if (client.conn?.readyState !== 'open') return true;
    (socket as unknown as Partial<OutgoingNotifier>).notifyOutgoingListeners?.(ready.packet);
    client.writeToEngine(ready.encodedPackets, ready.opts);
    return true;
  };

  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as HandshakeAuth;
    const token = typeof auth.token === 'string' ? auth.token : undefined;
    const clientId =
      typeof auth.clientId === 'string' && auth.clientId.length > 0 ? auth.clientId : undefined;
    const unsent = unsentBytes(socket.conn);
    let slow = false;
    // Over the bound: stop buffering for this socket. The goodbye waits behind what is queued (a
    // slow reader still gets it, then the disconnect); the socket disconnects now, so the session
    // closes as `lost` and the client resumes from its cursor when it reconnects; after a linger
    // the engine connection is closed discarding its buffer, so a stopped reader frees it.
    const closeSlowConsumer = () => {
      slow = true;
      hub.noteSlowConsumer();
      socket.emit('pb:error', slowConsumerError(hub.maxBufferedBytes));
      socket.disconnect(true);
      const linger = setTimeout(() => {
        if (socket.conn.readyState !== 'closed') socket.conn.close(true);
      }, SLOW_CONSUMER_LINGER_MS);
      linger.unref?.();
    };
    const backlog = watchBacklog(hub.maxBufferedBytes, unsent, closeSlowConsumer);
    socket.on('disconnect', () => backlog.stop());
    const sendFrame = (frame: OutboundFrame): void => {
      if (frame.type === 'message') {
        if (sendPreEncoded(socket, frame)) return;
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
            if (slow) return;
            sendFrame(frame);
            // Emits reach engine.io synchronously: the count includes this frame.
            backlog.check();
          },
          // Close the engine connection without a goodbye: the client sees a network-style drop.
          terminate: () => socket.conn.close(),
          unsent,
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
