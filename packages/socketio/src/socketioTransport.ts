import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  RealtimeError,
} from '@patchbay/realtime-core';
import {
  errorFromWire,
  isDiscontinuityFrame,
  isPresenceFrame,
  isTransportMessage,
  malformedFrameError,
  productionMessage,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportHistoryOptions,
  type TransportMessage,
  type TransportPublish,
  type TransportSink,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core/transport';
import {
  io as defaultIo,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';

export interface SocketIOTransportOptions {
  /** The hub's base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Socket.IO path of the hub endpoint. Default `/patchbay/socket.io`. */
  path?: string;
  /** Engine transports in order of preference. Default `['websocket', 'polling']`. */
  transports?: Array<'websocket' | 'polling'>;
  /** The hub's message size limit, to refuse oversized messages before sending. Default 64 KiB. */
  maxMessageBytes?: number;
  /** How long subscribe / presence / history requests wait for the hub. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Extra socket.io-client options (headers, `withCredentials` …). Reconnection stays with core. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Inject `io` (e.g. a specific socket.io-client build). Default: the installed peer dependency. */
  io?: typeof defaultIo;
}

interface WireError {
  code: string;
  message: string;
  retryable?: boolean;
}

type Reply =
  | {
      ok: true;
      recovered?: boolean;
      resynced?: boolean;
      seq?: number;
      epoch?: string;
      messages?: TransportMessage[];
    }
  | { ok: false; error: WireError };

/**
 * The Socket.IO transport for the Patchbay hub. Core owns reconnection (socket.io-client's own is
 * off), so attempts, backoff and state are the same as on every provider; the hub acks every
 * publish with a sequence number and replays what a channel missed after a reconnect.
 */
export function socketioTransport(options: SocketIOTransportOptions): Transport {
  if (typeof options?.url !== 'string' || !/^(https?|wss?):\/\//.test(options.url)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `socketioTransport: "url" must be the hub's absolute URL, such as http://127.0.0.1:8787; got ${JSON.stringify(options?.url)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'url', options?.url),
    );
  }
  return new SocketIOTransport(options);
}

class SocketIOTransport implements Transport {
  readonly provider = 'socketio';
  readonly capabilities: TransportCapabilities;
  /** The hub's sequence space per channel: a resume is only valid within the same epoch. */
  readonly #epochs = new Map<string, string>();
  readonly #options: SocketIOTransportOptions;
  #socket: Socket | undefined;
  readonly #pending = new Set<(error: RealtimeError) => void>();

  constructor(options: SocketIOTransportOptions) {
    this.#options = options;
    this.capabilities = Object.freeze({
      clientPublish: true,
      publishAck: true,
      presence: true,
      presenceUpdate: true,
      history: true,
      recovery: true,
      echoControl: true,
      maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
      // The hub keeps a dropped member for its grace period (5 s by default).
      presenceGrace: true,
    });
  }

  connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    const io = this.#options.io ?? defaultIo;
    const socket = io(this.#options.url, {
      ...this.#options.socketOptions,
      path: this.#options.path ?? '/patchbay/socket.io',
      transports: this.#options.transports ?? ['websocket', 'polling'],
      // Where WebSockets are blocked (some proxies), fall back to long-polling in the same attempt.
      tryAllTransports: true,
      reconnection: false,
      forceNew: true,
      auth: {
        ...(request.token !== undefined ? { token: request.token } : {}),
        ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
        echo: request.echo,
      },
    });
    this.#socket = socket;
    return new Promise<TransportConnection>((resolve, reject) => {
      let settled = false;
      const fail = (error: RealtimeError) => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners();
        socket.close();
        if (this.#socket === socket) this.#socket = undefined;
        reject(error);
      };
      if (request.signal.aborted) {
        fail(abortError(request.signal.reason));
        return;
      }
      request.signal.addEventListener('abort', () => fail(abortError(request.signal.reason)), {
        once: true,
      });
      socket.on('connect_error', (error: Error & { data?: WireError }) => {
        fail(connectError(error, this.#options.url));
      });
      socket.once('pb:welcome', (welcome: { clientId: string; connectionId: string }) => {
        if (settled) return;
        settled = true;
        socket.off('connect_error');
        this.#bind(socket, request.sink);
        resolve({ clientId: welcome.clientId, connectionId: welcome.connectionId });
      });
    });
  }

  disconnect(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.disconnect();
    this.#rejectPending(lostError('the connection was closed'));
  }

  async subscribe(
    channel: string,
    options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const epoch = this.#epochs.get(channel);
    const reply = await this.#request({
      op: 'subscribe',
      channel,
      ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
      ...(options.resumeFrom !== undefined && epoch !== undefined ? { epoch } : {}),
    });
    if (reply.epoch !== undefined) this.#epochs.set(channel, reply.epoch);
    return {
      // Resynced: the hub already sent the discontinuity, then the channel's messages.
      recovered: reply.recovered === true || reply.resynced === true,
      ...(reply.seq !== undefined ? { seq: reply.seq } : {}),
    };
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.#request({ op: 'unsubscribe', channel });
  }

  async publish(message: TransportPublish): Promise<void> {
    const frame = {
      op: 'publish',
      channel: message.channel,
      id: message.id,
      event: message.event,
      data: message.data,
    };
    if (message.ephemeral) {
      // Typing: the cheapest path, dropped rather than buffered when the link is busy or down.
      this.#live().volatile.emit('pb', { ...frame, ephemeral: true });
      return;
    }
    // No timeout here: core times publishes out and keeps them queued across a drop.
    await this.#request(frame, false);
  }

  async presenceEnter(channel: string, data: unknown): Promise<void> {
    await this.#request({ op: 'presence', channel, action: 'enter', data });
  }

  async presenceUpdate(channel: string, data: unknown): Promise<void> {
    await this.#request({ op: 'presence', channel, action: 'update', data });
  }

  async presenceLeave(channel: string): Promise<void> {
    await this.#request({ op: 'presence', channel, action: 'leave' });
  }

  async history(channel: string, options: TransportHistoryOptions): Promise<TransportMessage[]> {
    const reply = await this.#request({ op: 'history', channel, ...options });
    return reply.messages ?? [];
  }

  #bind(socket: Socket, sink: TransportSink): void {
    // Frames are checked before core sees them: a malformed one is dropped, not thrown.
    socket.on('pb:message', (message: unknown) => {
      if (isTransportMessage(message)) sink.message(message);
      else sink.error?.(malformedFrameError('The hub', 'message', message));
    });
    socket.on('pb:presence', (frame: unknown) => {
      if (isPresenceFrame(frame)) sink.presence(frame.channel, frame.event);
      else sink.error?.(malformedFrameError('The hub', 'presence', frame));
    });
    socket.on('pb:discontinuity', (frame: unknown) => {
      if (!isDiscontinuityFrame(frame)) {
        sink.error?.(malformedFrameError('The hub', 'discontinuity', frame));
        return;
      }
      this.#epochs.set(frame.channel, frame.epoch);
      sink.discontinuity(frame.channel, frame.reason);
    });
    socket.on('disconnect', (reason: string) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      socket.removeAllListeners();
      const error = lostError(reason);
      this.#rejectPending(error);
      sink.lost(error);
    });
  }

  #request(frame: Record<string, unknown>, timed = true): Promise<Extract<Reply, { ok: true }>> {
    const socket = this.#live();
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (error: RealtimeError | undefined, reply?: Extract<Reply, { ok: true }>) => {
        if (timer) clearTimeout(timer);
        this.#pending.delete(onLost);
        if (error) reject(error);
        else resolve(reply as Extract<Reply, { ok: true }>);
      };
      const onLost = (error: RealtimeError) => settle(error);
      this.#pending.add(onLost);
      if (timed) {
        timer = setTimeout(
          () =>
            settle(
              new ConnectionError(
                ErrorCodes.ConnectionFailed,
                process.env.NODE_ENV !== 'production'
                  ? `The hub did not answer "${String(frame.op)}" within ${timeoutMs} ms.`
                  : productionMessage(ErrorCodes.ConnectionFailed, frame.op, timeoutMs),
                { retryable: true },
              ),
            ),
          timeoutMs,
        );
      }
      socket.emit('pb', frame, (reply: Reply) => {
        if (reply?.ok) settle(undefined, reply);
        else settle(replyError(reply?.error));
      });
    });
  }

  #live(): Socket {
    const socket = this.#socket;
    if (!socket?.connected) throw lostError('not connected');
    return socket;
  }

  #rejectPending(error: RealtimeError): void {
    for (const reject of [...this.#pending]) reject(error);
    this.#pending.clear();
  }
}

function replyError(error: WireError | undefined): RealtimeError {
  return errorFromWire(error);
}

function connectError(error: Error & { data?: WireError }, url: string): RealtimeError {
  if (error.data?.code === ErrorCodes.AuthRejected)
    return new AuthError(error.data.message, { cause: error });
  if (error.data?.code) return replyError(error.data);
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    process.env.NODE_ENV !== 'production'
      ? `Could not reach the Patchbay hub at ${url} (${error.message}). Is it running (npx patchbay-server)?`
      : productionMessage(ErrorCodes.ConnectionFailed, url),
    { cause: error, retryable: true },
  );
}

function lostError(reason: string): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `The Socket.IO link dropped (${reason}).`
      : productionMessage(ErrorCodes.ConnectionLost, reason),
    { retryable: true },
  );
}

function abortError(reason: unknown): RealtimeError {
  return reason instanceof RealtimeError
    ? reason
    : new ConnectionError(
        ErrorCodes.ConnectionFailed,
        process.env.NODE_ENV !== 'production'
          ? 'The connection attempt was abandoned.'
          : productionMessage(ErrorCodes.ConnectionFailed, 'aborted'),
        {
          retryable: true,
        },
      );
}
