import {
  malformedFrameError,
  type RealtimeError,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportMessage,
  type TransportPresenceMember,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core';
import type * as Ably from 'ably';
import type { AblyModule, AblyTransportOptions } from '../ablyTransport.js';
import { decodePresence, isEphemeral, toTransportMessage } from './codec.js';
import { channelError, isAuthError, lostError } from './errors.js';
import { attachSerialOf, type ChannelCursor, replayMissed } from './replayMissed.js';

/** Longest timer Node accepts: Ably's own reconnect timers never fire within a link's life. */
const NEVER = 2 ** 31 - 1;

/** Pause before reading history again after a failed read, long enough to see the link drop. */
const HISTORY_RETRY_DELAY_MS = 200;

/**
 * One core connection attempt and, once connected, the live link: a dedicated `Ably.Realtime`
 * whose automatic reconnection is switched off. When Ably leaves `connected` for any reason the
 * link reports `lost` once, rejects what is pending and closes the client, so Ably's immediate
 * resume never runs behind core's back; core reconnects with its own policy and recovery reads
 * history instead of relying on Ably's connection resume.
 */
export class AblyLink {
  readonly where: string;
  connected = false;
  readonly #client: Ably.Realtime;
  readonly #request: TransportConnectRequest;
  readonly #cursors: Map<string, ChannelCursor>;
  readonly #pending = new Set<(error: RealtimeError) => void>();
  /** Live messages held back while a channel's missed messages are replayed. */
  readonly #held = new Map<string, Ably.InboundMessage[]>();
  #closed = false;

  constructor(
    module: AblyModule,
    options: AblyTransportOptions,
    request: TransportConnectRequest,
    cursors: Map<string, ChannelCursor>,
  ) {
    this.#request = request;
    this.#cursors = cursors;
    const base = options.clientOptions ?? {};
    const token = request.token;
    this.where = `${base.endpoint ?? base.realtimeHost ?? 'the Ably endpoint'}${base.port ? `:${base.port}` : ''}`;
    this.#client = new module.Realtime({
      ...base,
      ...(token !== undefined
        ? {
            // Core fetched this token from the app's auth() for this attempt: hand it to Ably.
            authCallback: (_params, callback) => callback(null, parseToken(token)),
          }
        : {}),
      ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
      echoMessages: request.echo,
      autoConnect: false,
      disconnectedRetryTimeout: NEVER,
      suspendedRetryTimeout: NEVER,
      // Read by ably-js at runtime though missing from its types: no channel re-attach timers.
      ...({ channelRetryTimeout: NEVER } as Partial<Ably.ClientOptions>),
    });
  }

  /** Make the one attempt. Resolves on `connected`; rejects with Ably's reason otherwise. */
  open(): Promise<TransportConnection> {
    const { connection } = this.#client;
    return new Promise((resolve, reject) => {
      const settle = (change: Ably.ConnectionStateChange) => {
        if (change.current === 'connected') {
          connection.off(settle);
          this.connected = true;
          connection.on(this.#watch);
          const clientId = this.#client.auth.clientId;
          resolve({
            ...(clientId && clientId !== '*' ? { clientId } : {}),
            ...(connection.id !== undefined ? { connectionId: connection.id } : {}),
          });
        } else if (['disconnected', 'suspended', 'failed', 'closed'].includes(change.current)) {
          connection.off(settle);
          this.#shutdown();
          reject(change.reason ?? new Error(`Ably went ${change.current} while connecting`));
        }
      };
      const { signal } = this.#request;
      if (signal.aborted) {
        this.#shutdown();
        reject(signal.reason);
        return;
      }
      signal.addEventListener(
        'abort',
        () => {
          if (this.connected) return;
          connection.off(settle);
          this.#shutdown();
          reject(signal.reason);
        },
        { once: true },
      );
      connection.on(settle);
      connection.connect();
    });
  }

  /** Close deliberately: no `lost`, pending operations reject with a retryable error. */
  close(error: RealtimeError): void {
    this.connected = false;
    this.#rejectPending(error);
    this.#shutdown();
  }

  channel(name: string): Ably.RealtimeChannel {
    return this.#client.channels.get(name);
  }

  /**
   * Settle with `operation`, but reject as soon as the link drops instead of waiting for Ably to
   * give up. Either failure goes through `mapError` when given. One promise around the operation:
   * publishes run this for every message.
   */
  track<T>(operation: Promise<T>, mapError?: (error: unknown) => RealtimeError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = this.#pending;
      const fail = (error: unknown) => reject(mapError ? mapError(error) : error);
      pending.add(fail);
      operation.then(
        (value) => {
          pending.delete(fail);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(fail);
          fail(error);
        },
      );
    });
  }

  async attach(
    name: string,
    resumeFrom: number | undefined,
    maxPages: number,
  ): Promise<TransportSubscribeResult> {
    const channel = this.channel(name);
    const { sink } = this.#request;
    const previous = this.#cursors.get(name);
    const resuming = resumeFrom !== undefined && previous !== undefined;
    // A fresh subscription starts a cursor now, so messages that arrive while presence syncs
    // count; its serial is set to the attach point below unless a message got there first.
    const fresh: ChannelCursor = { seq: previous?.seq ?? 0, serial: '' };
    if (resuming) this.#held.set(name, []);
    else this.#cursors.set(name, fresh);
    channel.unsubscribe();
    channel.presence.unsubscribe();
    const onMessage = (message: Ably.InboundMessage) => {
      const held = this.#held.get(name);
      if (held) held.push(message);
      else this.#deliver(name, message);
    };
    const member = (m: Ably.PresenceMessage): TransportPresenceMember => ({
      clientId: m.clientId ?? '',
      connectionId: m.connectionId ?? m.clientId ?? '',
      data: decodePresence(m.data),
    });
    try {
      await this.track(channel.subscribe(onMessage));
      await this.track(
        channel.presence.subscribe(['enter', 'update', 'leave'], (m) => {
          sink.presence(name, {
            type: m.action as 'enter' | 'update' | 'leave',
            member: member(m),
          });
        }),
      );
      const members = await this.track(channel.presence.get());
      sink.presence(name, { type: 'sync', members: members.map(member) });
      const attachSerial = attachSerialOf(channel);
      if (!resuming) {
        if (fresh.serial === '') fresh.serial = attachSerial;
        return { recovered: false, seq: fresh.seq };
      }
      // History that cannot be read (a REST outage, a blocked request) must not keep the channel
      // detached: go live and report the gap as a discontinuity instead. A read that failed
      // because the network dropped (a cut resets the REST request and the realtime link alike)
      // keeps the cursor, so the next attach replays the same gap; while the link stays up, a
      // failed read is tried once more before the gap is given up.
      const read = () => this.track(replayMissed(channel, previous.serial, attachSerial, maxPages));
      const replay = await read()
        .catch(async (error: unknown) => {
          if (isAuthError(error) || !this.connected) throw error;
          await new Promise((resolve) => setTimeout(resolve, HISTORY_RETRY_DELAY_MS));
          if (!this.connected) throw lostError('the link dropped while reading history', error);
          return read();
        })
        .catch((error: unknown) => {
          if (isAuthError(error) || !this.connected) throw error;
          return { messages: [], complete: false };
        });
      if (replay.complete) for (const message of replay.messages) this.#deliver(name, message);
      else previous.serial = attachSerial;
      const replayed = new Set(replay.messages.map((m) => m.id));
      for (const message of this.#held.get(name) ?? []) {
        if (!replay.complete || !replayed.has(message.id)) this.#deliver(name, message);
      }
      return { recovered: replay.complete, seq: previous.seq };
    } catch (error) {
      channel.unsubscribe(onMessage);
      throw channelError(error, name, 'subscribe');
    } finally {
      this.#held.delete(name);
    }
  }

  async detach(name: string): Promise<void> {
    const channel = this.channel(name);
    channel.unsubscribe();
    channel.presence.unsubscribe();
    await this.track(channel.detach()).catch(() => {});
    // Release frees the channel object; ably-js refuses while it is still attached (detach
    // failed), and a channel left in the map is harmless: the next attach reuses it.
    try {
      if (this.connected) this.#client.channels.release(name);
    } catch {}
  }

  #deliver(name: string, message: Ably.InboundMessage): void {
    let seq: number | undefined;
    if (!isEphemeral(message)) {
      let cursor = this.#cursors.get(name);
      if (!cursor) {
        cursor = { seq: 0, serial: '' };
        this.#cursors.set(name, cursor);
      }
      seq = ++cursor.seq;
      if (message.serial) cursor.serial = message.serial;
    }
    let converted: TransportMessage;
    try {
      converted = toTransportMessage(name, message, seq);
    } catch {
      // Marked as JSON but not JSON: dropped (its position still counts, so it is never replayed).
      this.#request.sink.error?.(malformedFrameError('Ably', 'message', message.data));
      return;
    }
    this.#request.sink.message(converted);
  }

  readonly #watch = (change: Ably.ConnectionStateChange) => {
    if (change.current === 'connected' || !this.connected) return;
    this.connected = false;
    const error = lostError(change.reason?.message ?? `Ably went ${change.current}`, change.reason);
    this.#rejectPending(error);
    // Closing now cancels Ably's immediate reconnect: core owns the next attempt.
    this.#shutdown();
    this.#request.sink.lost(error);
  };

  #rejectPending(error: RealtimeError): void {
    for (const reject of [...this.#pending]) reject(error);
    this.#pending.clear();
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.connection.off();
    this.#client.close();
  }
}

/** Core's token from `auth()`: an Ably token string, or a JSON TokenRequest / TokenDetails. */
function parseToken(token: string): string | Ably.TokenRequest | Ably.TokenDetails {
  if (!token.startsWith('{')) return token;
  try {
    return JSON.parse(token) as Ably.TokenRequest | Ably.TokenDetails;
  } catch {
    return token;
  }
}
