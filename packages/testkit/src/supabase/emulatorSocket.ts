import { randomUUID } from 'node:crypto';
import { type WebSocket, WebSocket as WebSocketClass } from 'ws';
import { handleChannelMessage } from './channelMessages.js';
import type { Subscription } from './emulatorHub.js';
import { type EmulatorSettings, joinChannel } from './joinChannel.js';
import {
  decodeFrame,
  encodeMessage,
  type PhoenixMessage,
  replyMessage,
  type Vsn,
} from './phoenixProtocol.js';
import type { SupabaseClaims } from './supabaseTokens.js';

const TOKEN_CHECK_MAX_MS = 5 * 60 * 1000;

/**
 * One WebSocket connection (a Phoenix socket): heartbeats on `phoenix`, `phx_join`/`phx_leave`,
 * and the messages of its joined channels. Frames are handled one at a time, in order, as a
 * Phoenix socket and its channel processes do.
 */
export class EmulatorSocket {
  readonly id = randomUUID();
  /** Keep the socket open but read nothing and send nothing (a dead network path). */
  blackholed = false;
  readonly #ws: WebSocket;
  readonly #settings: EmulatorSettings;
  readonly #subs = new Map<string, Subscription>();
  readonly #onClose: (socket: EmulatorSocket) => void;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    ws: WebSocket,
    settings: EmulatorSettings,
    readonly vsn: Vsn,
    readonly claims: SupabaseClaims,
    readonly apiToken: string,
    onClose: (socket: EmulatorSocket) => void,
  ) {
    this.#ws = ws;
    this.#settings = settings;
    this.#onClose = onClose;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#receive(data, isBinary));
    ws.on('close', () => this.#teardown());
    ws.on('error', () => ws.terminate());
  }

  get topics(): string[] {
    return [...this.#subs.keys()];
  }

  send(message: PhoenixMessage): void {
    if (this.blackholed || this.#ws.readyState !== WebSocketClass.OPEN) return;
    this.#ws.send(encodeMessage(message, this.vsn));
  }

  sendBinary(frame: Buffer): void {
    if (this.blackholed || this.#ws.readyState !== WebSocketClass.OPEN) return;
    this.#ws.send(frame, { binary: true });
  }

  /** Cut the connection abruptly (no close frame), as a network failure does. */
  drop(): void {
    this.#ws.terminate();
  }

  /**
   * Close a joined channel from the server side (`shutdown_response/2`): a `system` error with
   * `message`, then `phx_close`. realtime-js reports CLOSED and does not rejoin.
   */
  shutdownChannel(sub: Subscription, message: string): void {
    this.send({
      joinRef: sub.joinRef,
      ref: null,
      topic: sub.topic,
      event: 'system',
      payload: { channel: sub.subTopic, extension: 'system', message, status: 'error' },
    });
    this.#close(sub);
  }

  /** Watch the channel's token expiry, re-checking at most every 5 minutes like Supabase. */
  scheduleTokenCheck(sub: Subscription): void {
    clearTimeout(sub.tokenTimer);
    const left = sub.claims.exp * 1000 - Date.now();
    sub.tokenTimer = setTimeout(
      () => {
        if (this.#subs.get(sub.topic) !== sub) return;
        const secondsLeft = sub.claims.exp - Math.floor(Date.now() / 1000);
        if (secondsLeft > 0) this.scheduleTokenCheck(sub);
        else this.shutdownChannel(sub, `Token has expired ${-secondsLeft} seconds ago`);
      },
      Math.max(0, Math.min(left, TOKEN_CHECK_MAX_MS)),
    );
    sub.tokenTimer.unref();
  }

  #receive(data: Buffer, isBinary: boolean): void {
    if (this.blackholed) return;
    let message: PhoenixMessage;
    try {
      message = decodeFrame(data, isBinary, this.vsn);
    } catch {
      // Phoenix's socket process crashes on an undecodable frame, closing the connection.
      this.#ws.close(1011);
      return;
    }
    this.#queue = this.#queue.then(() => this.#handle(message)).catch(() => this.#ws.close(1011));
  }

  async #handle(message: PhoenixMessage): Promise<void> {
    if (this.#closed) return;
    if (message.topic === 'phoenix' && message.event === 'heartbeat') {
      this.send(replyMessage(message, 'ok'));
      return;
    }
    if (message.event === 'phx_join') {
      await this.#join(message);
      return;
    }
    const sub = this.#subs.get(message.topic);
    if (!sub) {
      // Phoenix answers a leave for an unknown channel with ok, anything else with an error.
      if (message.event === 'phx_leave') this.send(replyMessage(message, 'ok'));
      else this.send(unmatched(message));
      return;
    }
    if (message.event === 'phx_leave') {
      // A leave from an older join raced a server close: Phoenix ignores it.
      if (message.joinRef !== null && sub.joinRef !== null && message.joinRef !== sub.joinRef)
        return;
      this.send(replyMessage(message, 'ok'));
      this.#close(sub);
      return;
    }
    await handleChannelMessage(this.#settings, this, sub, message);
  }

  async #join(message: PhoenixMessage): Promise<void> {
    if (!message.topic.startsWith('realtime:')) {
      this.send(unmatched(message));
      return;
    }
    // A second join of a joined topic replaces the first, which Phoenix closes.
    const existing = this.#subs.get(message.topic);
    if (existing) this.#close(existing);
    const outcome = await joinChannel(this.#settings, this, this.apiToken, message);
    if (this.#closed) return;
    if (!outcome.ok) {
      this.send(replyMessage(message, 'error', { reason: outcome.reason }));
      return;
    }
    const { sub, postgresChanges, replay } = outcome;
    this.#subs.set(sub.topic, sub);
    this.#settings.hub.add(sub);
    this.send(replyMessage(message, 'ok', { postgres_changes: postgresChanges }));
    for (const stored of replay) {
      this.send({
        joinRef: sub.joinRef,
        ref: null,
        topic: sub.topic,
        event: 'broadcast',
        payload: {
          event: stored.event,
          meta: { id: stored.id, replayed: true },
          payload: stored.payload,
          type: 'broadcast',
        },
      });
    }
    const readsPresence = !sub.private || sub.policies['presence.read'] === true;
    if (sub.presenceEnabled && readsPresence) {
      this.send({
        joinRef: sub.joinRef,
        ref: null,
        topic: sub.topic,
        event: 'presence_state',
        payload: this.#settings.hub.presenceState(sub.subTopic, sub.private),
      });
    }
    if (postgresChanges.length > 0) {
      this.send({
        joinRef: sub.joinRef,
        ref: null,
        topic: sub.topic,
        event: 'system',
        payload: {
          channel: sub.subTopic,
          extension: 'postgres_changes',
          message: 'The Supabase emulator has no database: postgres_changes are not emulated',
          status: 'error',
        },
      });
    }
    this.scheduleTokenCheck(sub);
  }

  /** Remove a channel and tell the client with `phx_close` (ref = join_ref, as Phoenix sends it). */
  #close(sub: Subscription): void {
    if (this.#subs.get(sub.topic) !== sub) return;
    this.#subs.delete(sub.topic);
    this.#settings.hub.remove(sub);
    this.send({
      joinRef: sub.joinRef,
      ref: sub.joinRef,
      topic: sub.topic,
      event: 'phx_close',
      payload: {},
    });
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs.values()) this.#settings.hub.remove(sub);
    this.#subs.clear();
    this.#onClose(this);
  }
}

/** Phoenix's answer to a message for a topic it has no channel for (no join_ref). */
function unmatched(message: PhoenixMessage): PhoenixMessage {
  return replyMessage({ ...message, joinRef: null }, 'error', { reason: 'unmatched topic' });
}
