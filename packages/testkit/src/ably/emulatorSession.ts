import type { WebSocket } from 'ws';
import { attachFrom, syncTo } from './attachChannel.js';
import { presenceFrom, publishFrom } from './channelOperations.js';
import type { Principal } from './credentials.js';
import type { EmulatorContext } from './emulatorContext.js';
import { Action, type ProtocolMessage, protocolMessageProblem, wireError } from './protocol.js';

/**
 * One Ably connection. It outlives its WebSocket for `connectionStateTtl` so that a client that
 * comes back with `resume=<connectionKey>` keeps its connection id and msgSerial, as on Ably.
 */
export class EmulatorSession {
  readonly id: string;
  key: string;
  readonly clientId: string | undefined;
  principal: Principal;
  echo: boolean;
  /** Stop answering and stop sending (a half-open link), until the socket closes. */
  blackholed = false;
  /** Members were removed while the link was down: a resumed attach must not claim continuity. */
  presenceLost = false;
  #socket: WebSocket | undefined;
  #heartbeatFrames = false;
  #expectedSerial = 0;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #expiry: ReturnType<typeof setTimeout> | undefined;
  /** Ends this connection's presence after `remainPresentForMs` without a resume. */
  #presenceExpiry: ReturnType<typeof setTimeout> | undefined;
  readonly #ctx: EmulatorContext;
  /** Channels this connection attached (kept while the link is down, for resume). */
  readonly attachedHere = new Set<string>();

  constructor(
    ctx: EmulatorContext,
    principal: Principal,
    clientId: string | undefined,
    echo: boolean,
  ) {
    this.#ctx = ctx;
    this.id = ctx.nextId('c');
    this.key = `${this.id}!${ctx.nextId('k')}`;
    this.principal = principal;
    this.clientId = clientId;
    this.echo = echo;
  }

  get live(): boolean {
    return this.#socket !== undefined;
  }

  /** Bind a (new or resumed) WebSocket and send CONNECTED. */
  bind(
    socket: WebSocket,
    heartbeatFrames: boolean,
    resumed: boolean,
    error?: ProtocolMessage['error'],
  ): void {
    if (this.#expiry) clearTimeout(this.#expiry);
    if (this.#presenceExpiry) clearTimeout(this.#presenceExpiry);
    this.#presenceExpiry = undefined;
    this.#socket = socket;
    this.#heartbeatFrames = heartbeatFrames;
    this.blackholed = false;
    if (resumed) this.key = `${this.id}!${this.#ctx.nextId('k')}`;
    else this.presenceLost = false;
    this.#sendConnected(error);
    const { maxIdleInterval } = this.#ctx.settings;
    if (maxIdleInterval > 0) {
      this.#pinger = setInterval(() => this.#ping(), Math.max(10, Math.floor(maxIdleInterval / 2)));
    }
    socket.on('message', (raw) => this.#receive(String(raw)));
    socket.on('close', () => this.#unbind(socket));
    socket.on('error', () => {});
  }

  #sendConnected(error?: ProtocolMessage['error']): void {
    const { maxIdleInterval, connectionStateTtl, maxMessageSize } = this.#ctx.settings;
    this.send({
      action: Action.CONNECTED,
      connectionId: this.id,
      connectionDetails: {
        connectionKey: this.key,
        clientId: this.clientId ?? '*',
        maxMessageSize,
        maxFrameSize: maxMessageSize * 8,
        maxInboundRate: 1000,
        maxOutboundRate: 1000,
        maxIdleInterval,
        connectionStateTtl,
        serverId: 'patchbay-ably-emulator',
      },
      ...(error ? { error } : {}),
    });
  }

  /** In-band re-authentication (`auth.authorize()` while connected): Ably answers CONNECTED. */
  #reauth(message: ProtocolMessage): void {
    const token = message.auth?.accessToken;
    const principal = token
      ? this.#ctx.credentials.checkToken(token)
      : wireError(40101, 401, 'AUTH without an accessToken.');
    if ('code' in principal) {
      this.send({ action: Action.ERROR, error: principal });
      this.drop();
      return;
    }
    if (principal.clientId !== undefined && principal.clientId !== this.clientId) {
      this.send({
        action: Action.ERROR,
        error: wireError(40102, 401, 'A re-authentication cannot change the clientId.'),
      });
      this.drop();
      return;
    }
    this.principal = principal;
    this.#sendConnected();
  }

  send(message: ProtocolMessage): void {
    const socket = this.#socket;
    if (!socket || this.blackholed || socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(message));
  }

  /** Abruptly cut the link, as a network failure would. The session stays resumable. */
  drop(): void {
    this.#socket?.terminate();
  }

  /** End the session for good (CLOSE from the client, expiry, or the emulator shutting down). */
  end(): void {
    if (this.#expiry) clearTimeout(this.#expiry);
    if (this.#presenceExpiry) clearTimeout(this.#presenceExpiry);
    if (this.#pinger) clearInterval(this.#pinger);
    for (const name of this.attachedHere) this.#detach(name);
    this.#ctx.sessions.delete(this.id);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
  }

  #ping(): void {
    const socket = this.#socket;
    if (!socket || this.blackholed || socket.readyState !== socket.OPEN) return;
    if (this.#heartbeatFrames) this.send({ action: Action.HEARTBEAT });
    else socket.ping();
  }

  #unbind(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    if (this.#pinger) clearInterval(this.#pinger);
    // As on Ably, members stay present for remainPresentForMs (15 s) and a resume within it
    // keeps them without a leave; the connection stays resumable until connectionStateTtl.
    for (const name of this.attachedHere) this.#ctx.channel(name).attached.delete(this.id);
    this.#presenceExpiry = setTimeout(() => {
      this.#presenceExpiry = undefined;
      for (const name of this.attachedHere) {
        const channel = this.#ctx.channel(name);
        const before = channel.members.size;
        this.#ctx.leaveAll(channel, this.id, this.#expectedSerial);
        if (channel.members.size !== before) this.presenceLost = true;
      }
    }, this.#ctx.settings.remainPresentForMs);
    this.#presenceExpiry.unref?.();
    this.#expiry = setTimeout(() => this.end(), this.#ctx.settings.connectionStateTtl);
    this.#expiry.unref?.();
  }

  #receive(raw: string): void {
    try {
      this.#handle(raw);
    } catch (error) {
      // A frame the emulator cannot process (data nested too deeply for JSON.stringify, a bug) is
      // refused like a malformed one; it never takes the emulator down.
      const { action, msgSerial } = (safeJson(raw) ?? {}) as Partial<ProtocolMessage>;
      const deep = error instanceof RangeError;
      const problem = deep
        ? 'The message is nested too deeply to process; send flatter data.'
        : `The emulator could not process this frame (${String(error)}).`;
      const wire = deep ? wireError(40000, 400, problem) : wireError(50000, 500, problem);
      const ackable =
        (action === Action.MESSAGE || action === Action.PRESENCE) &&
        Number.isInteger(msgSerial) &&
        (msgSerial as number) >= 0;
      this.send(
        ackable
          ? { action: Action.NACK, msgSerial: msgSerial as number, count: 1, error: wire }
          : { action: Action.ERROR, error: wire },
      );
    }
  }

  #handle(raw: string): void {
    if (this.blackholed) return;
    let message: ProtocolMessage;
    try {
      message = JSON.parse(raw) as ProtocolMessage;
    } catch {
      this.send({
        action: Action.ERROR,
        error: wireError(
          40000,
          400,
          'Unreadable frame: the emulator speaks JSON only (useBinaryProtocol: false).',
        ),
      });
      return;
    }
    const problem = protocolMessageProblem(message);
    if (problem !== undefined) {
      // An ack-required message is refused with a NACK for its serial, anything else with an
      // ERROR; the connection stays up, as after an unreadable frame.
      const { action, msgSerial } = (message ?? {}) as Partial<ProtocolMessage>;
      const ackable =
        (action === Action.MESSAGE || action === Action.PRESENCE) &&
        Number.isInteger(msgSerial) &&
        (msgSerial as number) >= 0;
      const error = wireError(40000, 400, problem);
      this.send(
        ackable
          ? { action: Action.NACK, msgSerial: msgSerial as number, count: 1, error }
          : { action: Action.ERROR, error },
      );
      return;
    }
    switch (message.action) {
      case Action.HEARTBEAT:
        this.send({
          action: Action.HEARTBEAT,
          ...(message.id !== undefined ? { id: message.id } : {}),
        });
        return;
      case Action.ATTACH:
        attachFrom(this.#ctx, this, message);
        return;
      case Action.DETACH:
        if (message.channel) this.#detach(message.channel);
        this.send({
          action: Action.DETACHED,
          ...(message.channel ? { channel: message.channel } : {}),
        });
        return;
      case Action.MESSAGE:
        publishFrom(this.#ctx, this, message);
        return;
      case Action.PRESENCE:
        presenceFrom(this.#ctx, this, message);
        return;
      case Action.SYNC:
        if (message.channel) syncTo(this.#ctx, this, message.channel);
        return;
      case Action.AUTH:
        this.#reauth(message);
        return;
      case Action.CLOSE:
        this.send({ action: Action.CLOSED });
        this.end();
        return;
      case Action.DISCONNECT:
        this.drop();
        return;
      default:
        return;
    }
  }

  /**
   * The service detaches a channel it still holds for this connection (DETACHED with an error, as
   * Ably sends when it moves a channel): live messages stop until the client attaches again,
   * which ably-js does by itself (RTL13a) from its channelSerial. Presence is kept.
   */
  detachedByService(name: string): void {
    if (!this.attachedHere.has(name)) return;
    this.#ctx.channel(name).attached.delete(this.id);
    this.send({
      action: Action.DETACHED,
      channel: name,
      error: wireError(90198, 500, 'The service detached the channel (emulator fault).'),
    });
  }

  #detach(name: string): void {
    const channel = this.#ctx.channel(name);
    this.attachedHere.delete(name);
    channel.attached.delete(this.id);
    this.#ctx.leaveAll(channel, this.id, this.#expectedSerial);
  }

  /** msgSerial bookkeeping: a serial seen before (re-sent after a resume) is acked, not redone. */
  fresh(message: ProtocolMessage): boolean {
    const serial = message.msgSerial ?? this.#expectedSerial;
    if (serial < this.#expectedSerial) {
      this.send({ action: Action.ACK, msgSerial: serial, count: 1 });
      return false;
    }
    this.#expectedSerial = serial + 1;
    return true;
  }

  nack(message: ProtocolMessage, code: number, status: number, text: string): void {
    this.send({
      action: Action.NACK,
      msgSerial: message.msgSerial ?? 0,
      count: 1,
      error: wireError(code, status, text),
    });
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
