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
import { ClientEventPacer } from './clientEventPacer.js';
import {
  CLIENT_EVENT,
  MESSAGE_PREFIX,
  PRESENCE_PREFIX,
  type PusherEnvelope,
  readPresenceInfo,
} from './envelope.js';
import { fromEnvelope, toTransportMessage } from './toTransportMessage.js';

interface Waiter {
  resolve(): void;
  reject(error: RealtimeError): void;
}

/** The client events of one portable channel, waiting for their Pusher channel or the rate limit. */
interface Lane {
  /** In send order. Signals (typing, presence updates) are dropped rather than waited for. */
  queue: Array<{ envelope: PusherEnvelope; signal: boolean }>;
  /** The Pusher channel this connection sends the channel's messages on, once chosen. */
  route: string | undefined;
  /** Waiting for a subscription or for the rate limit; whatever it waits for resumes the lane. */
  waiting: boolean;
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
  readonly #lanes = new Map<string, Lane>();
  readonly #pacer: ClientEventPacer;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Pusher channels whose last subscribe was refused (pusher-js keeps those pending for good). */
  readonly #refused = new Set<string>();
  #closed = false;

  /** Ordinary messages may arrive as client events (the app publishes without an endpoint). */
  readonly acceptClientMessages: boolean;

  constructor(
    pusher: PusherClient,
    sink: TransportSink,
    options: { echo: boolean; acceptClientMessages: boolean; clientEventsPerSecond: number },
  ) {
    this.pusher = pusher;
    this.#sink = sink;
    this.echo = options.echo;
    this.acceptClientMessages = options.acceptClientMessages;
    this.#pacer = new ClientEventPacer(options.clientEventsPerSecond);
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
   * Send an ordinary message on portable `channel` as a client event, in order. It goes on
   * presence-<channel>, where Pusher stamps the sender's user_id and receivers take the clientId
   * from the member list; when this connection cannot be a member there (presence refused), on
   * private-<channel>, where receivers learn no identity at all. The choice is made once per
   * channel and connection, so messages never overtake each other by changing channel; only a
   * presence subscription lost for good moves the later ones to private. Pusher relays client
   * events from subscribers only, so this waits for the subscription, and for the rate limit;
   * on refusal the messages are dropped (no ack: at most once, declared as `publishAck: false`).
   */
  sendClientEvent(channel: string, envelope: PusherEnvelope): void {
    this.#enqueue(channel, { envelope, signal: false });
  }

  /**
   * Send a signal (typing, an emulated presence update) on presence-<channel>, where Pusher
   * stamps the sender; dropped when this connection is not subscribed there.
   */
  sendSignal(channel: string, envelope: PusherEnvelope): void {
    this.#enqueue(channel, { envelope, signal: true });
  }

  /** Forget the channel choice for a released channel (the next message chooses again). */
  forgetRoute(channel: string): void {
    const lane = this.#lanes.get(channel);
    if (lane && !lane.waiting && lane.queue.length === 0) this.#lanes.delete(channel);
  }

  /** Hand a client-event publish to core as if it came back (Pusher never echoes client events). */
  deliverLocally(channel: string, envelope: PusherEnvelope): void {
    this.#sink.message(fromEnvelope(channel, envelope, envelope.clientId));
  }

  leave(name: string): void {
    this.#settle(name, lostError(`${name} was released before it attached`));
    this.authErrors.delete(name);
    if (this.pusher.channel(name)) this.pusher.unsubscribe(name);
  }

  isJoined(name: string): boolean {
    return this.pusher.channel(name)?.subscribed === true;
  }

  /**
   * The link is gone: every pending subscribe rejects with a retryable error. Returns the messages
   * that never left (waiting for a subscription or the rate limit) by portable channel, in order,
   * so the next session can send them; signals are dropped.
   */
  close(error: RealtimeError): Array<[string, PusherEnvelope]> {
    const unsent: Array<[string, PusherEnvelope]> = [];
    for (const [channel, lane] of this.#lanes) {
      for (const item of lane.queue) if (!item.signal) unsent.push([channel, item.envelope]);
      lane.queue.length = 0;
    }
    this.#lanes.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#closed = true;
    for (const name of [...this.#waiters.keys()]) this.#settle(name, error);
    return unsent;
  }

  #enqueue(channel: string, item: { envelope: PusherEnvelope; signal: boolean }): void {
    if (this.#closed) return;
    let lane = this.#lanes.get(channel);
    if (!lane) {
      lane = { queue: [], route: undefined, waiting: false };
      this.#lanes.set(channel, lane);
    }
    lane.queue.push(item);
    this.#pump(channel, lane);
  }

  /** Send what a lane can send now; otherwise wait for its subscription or the rate limit. */
  #pump(channel: string, lane: Lane): void {
    const presence = PRESENCE_PREFIX + channel;
    while (!lane.waiting && !this.#closed && lane.queue.length > 0) {
      const head = lane.queue[0] as { envelope: PusherEnvelope; signal: boolean };
      let target: string;
      if (head.signal) {
        if (!this.isJoined(presence)) {
          lane.queue.shift();
          continue;
        }
        target = presence;
      } else {
        if (lane.route === undefined && this.isJoined(presence)) lane.route = presence;
        if (lane.route === undefined || !this.isJoined(lane.route)) {
          this.#awaitRoute(channel, lane);
          return;
        }
        target = lane.route;
      }
      const delay = this.#pacer.delay(Date.now());
      if (delay > 0) {
        this.#resumeIn(channel, lane, delay);
        return;
      }
      this.#pacer.take(Date.now());
      lane.queue.shift();
      this.pusher.channel(target)?.trigger(CLIENT_EVENT, head.envelope);
    }
  }

  /** Subscribe to the lane's Pusher channel (presence first, private when presence is refused). */
  #awaitRoute(channel: string, lane: Lane): void {
    const presence = PRESENCE_PREFIX + channel;
    const fallback = MESSAGE_PREFIX + channel;
    // A refused subscription stays pending in pusher-js and would never answer again.
    const target = lane.route === fallback || this.#refused.has(presence) ? fallback : presence;
    if (target === fallback && this.#refused.has(fallback)) {
      // Refused both ways on this connection: nowhere to send (at most once).
      lane.queue.length = 0;
      return;
    }
    lane.waiting = true;
    this.join(target).then(
      () => {
        lane.route = target;
        lane.waiting = false;
        this.#pump(channel, lane);
      },
      (error: RealtimeError) => {
        lane.waiting = false;
        // Closed: close() already handed the queue back.
        if (this.#closed) return;
        // Refused on private too: nowhere to send. Otherwise, released or re-subscribing
        // (presence enter/leave), or presence refused: ask again, falling back to private.
        if (target === fallback && error.code !== ErrorCodes.ConnectionLost) {
          lane.queue.length = 0;
          return;
        }
        this.#pump(channel, lane);
      },
    );
  }

  #resumeIn(channel: string, lane: Lane, delayMs: number): void {
    lane.waiting = true;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      lane.waiting = false;
      this.#pump(channel, lane);
    }, delayMs);
    this.#timers.add(timer);
  }

  #settle(name: string, error?: RealtimeError): void {
    if (!error) this.#refused.delete(name);
    else if (!this.#closed && error.code !== ErrorCodes.ConnectionLost) this.#refused.add(name);
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
