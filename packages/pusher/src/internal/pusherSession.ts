import {
  AuthError,
  ConnectionError,
  ErrorCodes,
  type RealtimeError,
  type TransportPresenceMember,
  type TransportSink,
} from '@patchbay/realtime-core';
import type PusherClient from 'pusher-js';
import type { Channel, Members } from 'pusher-js';
import {
  CLIENT_EVENT,
  MESSAGE_PREFIX,
  PRESENCE_PREFIX,
  type PusherEnvelope,
  readPresenceInfo,
} from './envelope.js';
import { toTransportMessage } from './toTransportMessage.js';

interface Waiter {
  resolve(): void;
  reject(error: RealtimeError): void;
}

/**
 * One connected pusher-js client: its Pusher channels, how their events reach core's sink, and
 * presence as Patchbay models it. Discarded on every reconnect (a new client, a new socket_id),
 * so nothing here ever needs resetting.
 */
export class PusherSession {
  readonly pusher: PusherClient;
  readonly #sink: TransportSink;
  /** Portable names → the data to enter presence with; absent = only watching the members. */
  readonly presenceData = new Map<string, unknown>();
  /** Typed errors our auth handler saw, by Pusher channel name, to reject subscribes precisely. */
  readonly authErrors = new Map<string, RealtimeError>();
  /** Portable names whose member list core watches (set by `subscribe({ presence: true })`). */
  readonly watching = new Set<string>();
  /** Whether this connection wants its own messages back. */
  readonly echo: boolean;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #rejoins = new Map<string, Promise<void>>();
  readonly #backlog = new Map<string, PusherEnvelope[]>();
  #closed = false;

  /** Ordinary messages may arrive as client events (the app publishes without an endpoint). */
  readonly acceptClientMessages: boolean;

  constructor(
    pusher: PusherClient,
    sink: TransportSink,
    options: { echo: boolean; acceptClientMessages: boolean },
  ) {
    this.pusher = pusher;
    this.#sink = sink;
    this.echo = options.echo;
    this.acceptClientMessages = options.acceptClientMessages;
    // Real Pusher answers a bad signature with a connection-level pusher:error (code null)
    // naming the channel, not with a channel event: fail that channel's subscribe.
    pusher.connection.bind('error', (error: { data?: { code?: unknown; message?: unknown } }) => {
      const message = error?.data?.message;
      if (error?.data?.code !== null || typeof message !== 'string') return;
      for (const name of this.#waiters.keys()) {
        // Pusher names the channel after ":" (signature payload) or a space, followed by "," ":" or the end.
        const at = [`:${name}`, ` ${name}`].map((needle) => message.indexOf(needle));
        const named = at.some((index) => {
          if (index < 0) return false;
          const next = message[index + name.length + 1];
          return next === undefined || next === ',' || next === ':' || next === ' ';
        });
        if (named && !message.startsWith('Existing subscription')) {
          this.#settle(
            name,
            new AuthError(
              `Pusher refused the subscription to ${name}: ${message}. The auth endpoint must sign with this app's key and secret.`,
            ),
          );
        }
      }
    });
  }

  /** Subscribe to a Pusher channel and wait for Pusher's answer. */
  join(name: string): Promise<void> {
    if (this.#closed) return Promise.reject(lostError('the connection was closed'));
    const channel = this.pusher.subscribe(name);
    if (channel.subscribed) return Promise.resolve();
    if (!this.#waiters.has(name)) this.#bind(channel);
    return new Promise<void>((resolve, reject) => {
      let set = this.#waiters.get(name);
      if (!set) {
        set = new Set();
        this.#waiters.set(name, set);
      }
      set.add({ resolve, reject });
    });
  }

  /**
   * Unsubscribe and subscribe again so the auth endpoint signs new presence data (Pusher fixes
   * user_info at subscribe time). Serialized per channel so two calls never interleave.
   */
  rejoin(name: string): Promise<void> {
    const run = async () => {
      this.leave(name);
      await this.join(name);
    };
    const previous = this.#rejoins.get(name) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.#rejoins.set(
      name,
      next.catch(() => {}),
    );
    return next;
  }

  /**
   * Send a client event in order. Pusher only relays client events from subscribers, so on a
   * channel not joined yet it waits for the subscription; if that fails the events are dropped
   * (client events have no ack: at most once, declared as `publishAck: false`).
   */
  sendClientEvent(name: string, envelope: PusherEnvelope): void {
    const waiting = this.#backlog.get(name);
    if (waiting) {
      waiting.push(envelope);
      return;
    }
    if (this.trigger(name, envelope)) return;
    const backlog = [envelope];
    this.#backlog.set(name, backlog);
    this.join(name).then(
      () => {
        this.#backlog.delete(name);
        for (const queued of backlog) this.trigger(name, queued);
      },
      () => {
        // Refused or closed: on close the backlog was already handed back; on refusal it is dropped.
        if (this.#backlog.get(name) === backlog) this.#backlog.delete(name);
      },
    );
  }

  /** Hand a client-event publish to core as if it came back (Pusher never echoes client events). */
  deliverLocally(channel: string, envelope: PusherEnvelope): void {
    this.#sink.message({
      channel,
      id: envelope.id,
      event: envelope.event,
      data: envelope.data,
      timestamp: envelope.timestamp,
      ...(envelope.clientId !== undefined ? { clientId: envelope.clientId } : {}),
    });
  }

  leave(name: string): void {
    this.#settle(name, lostError(`${name} was released before it attached`));
    this.authErrors.delete(name);
    if (this.pusher.channel(name)) this.pusher.unsubscribe(name);
  }

  isJoined(name: string): boolean {
    return this.pusher.channel(name)?.subscribed === true;
  }

  /** Send a client event; false when Pusher cannot take it (not subscribed yet). */
  trigger(name: string, envelope: PusherEnvelope): boolean {
    const channel = this.pusher.channel(name);
    return channel?.subscribed === true && channel.trigger(CLIENT_EVENT, envelope);
  }

  /**
   * The link is gone: every pending subscribe rejects with a retryable error. Returns the client
   * events that never left (still waiting for a subscription), so the next session can send them.
   */
  close(error: RealtimeError): Array<[string, PusherEnvelope]> {
    const unsent: Array<[string, PusherEnvelope]> = [];
    for (const [name, envelopes] of this.#backlog) {
      for (const envelope of envelopes) unsent.push([name, envelope]);
    }
    this.#backlog.clear();
    this.#closed = true;
    for (const name of [...this.#waiters.keys()]) this.#settle(name, error);
    return unsent;
  }

  #settle(name: string, error?: RealtimeError): void {
    const set = this.#waiters.get(name);
    if (!set) return;
    this.#waiters.delete(name);
    for (const waiter of set) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  #bind(channel: Channel): void {
    const { name } = channel;
    // pusher-js keeps one Channel object per name until unsubscribed; bind once per object.
    const marked = channel as Channel & { __patchbay?: boolean };
    if (marked.__patchbay) return;
    marked.__patchbay = true;
    channel.bind('pusher:subscription_succeeded', (members: Members) => {
      if (name.startsWith(PRESENCE_PREFIX)) this.#sync(name, members);
      this.#settle(name);
    });
    channel.bind('pusher:subscription_error', (status: { error?: string; status?: number }) => {
      const typed = this.authErrors.get(name);
      this.#settle(
        name,
        typed ??
          (status?.status === 401 || status?.status === 403
            ? new AuthError(
                `Subscribing to ${name} was refused: ${status.error ?? 'no reason given'}.`,
              )
            : new ConnectionError(
                ErrorCodes.TransportError,
                `Subscribing to ${name} failed: ${status?.error ?? 'unknown error'}.`,
                { retryable: true },
              )),
      );
    });
    // Global callbacks get no metadata, and the sender's user_id travels in it: bind client events by name.
    channel.bind(CLIENT_EVENT, (data: unknown, metadata?: { user_id?: string }) => {
      this.#deliver(channel, CLIENT_EVENT, data, metadata?.user_id);
    });
    channel.bind_global((event: string, data: unknown) => {
      if (
        event === CLIENT_EVENT ||
        event.startsWith('pusher:') ||
        event.startsWith('pusher_internal:')
      )
        return;
      this.#deliver(channel, event, data, undefined);
    });
    if (!name.startsWith(PRESENCE_PREFIX)) return;
    channel.bind('pusher:member_added', (member: { id: string; info: unknown }) => {
      const info = readPresenceInfo(member.info);
      if (!info?.entered) return;
      this.#sink.presence(portable(name), { type: 'enter', member: toMember(member.id, info) });
    });
    channel.bind('pusher:member_removed', (member: { id: string; info: unknown }) => {
      const info = readPresenceInfo(member.info);
      if (!info?.entered) return;
      this.#sink.presence(portable(name), { type: 'leave', member: toMember(member.id, info) });
    });
  }

  #sync(name: string, members: Members): void {
    const list: TransportPresenceMember[] = [];
    members.each((member: { id: string; info: unknown }) => {
      const info = readPresenceInfo(member.info);
      // Pusher makes every subscriber a member; connections that only watch stay hidden.
      if (info?.entered) list.push(toMember(member.id, info));
    });
    this.#sink.presence(portable(name), { type: 'sync', members: list });
  }

  #deliver(channel: Channel, event: string, data: unknown, userId: string | undefined): void {
    // On presence channels Pusher stamps the sender's user_id: identity from auth, not payload.
    const members = (channel as Channel & { members?: Members }).members;
    const member = userId !== undefined ? members?.get(userId) : undefined;
    const message = toTransportMessage(event, data, {
      pusherChannel: channel.name,
      verifiedClientId: member ? readPresenceInfo(member.info)?.clientId : undefined,
      acceptClientMessages: this.acceptClientMessages,
    });
    if (message) this.#sink.message(message);
  }
}

function portable(name: string): string {
  if (name.startsWith(MESSAGE_PREFIX)) return name.slice(MESSAGE_PREFIX.length);
  if (name.startsWith(PRESENCE_PREFIX)) return name.slice(PRESENCE_PREFIX.length);
  return name;
}

function toMember(
  userId: string,
  info: { clientId: string; data: unknown },
): TransportPresenceMember {
  return { clientId: info.clientId, connectionId: userId, data: info.data };
}

export function lostError(reason: string): RealtimeError {
  return new ConnectionError(ErrorCodes.ConnectionLost, `The Pusher link dropped (${reason}).`, {
    retryable: true,
  });
}
