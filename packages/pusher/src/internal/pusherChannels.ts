import { AuthError, ConnectionError, ErrorCodes, RealtimeError } from '@patchbay/realtime-core';
import {
  productionMessage,
  type TransportMessage,
  type TransportPresenceMember,
  type TransportSink,
} from '@patchbay/realtime-core/transport';
import type PusherClient from 'pusher-js';
import type { Channel, Members, PresenceChannel } from 'pusher-js';
import {
  CLIENT_EVENT,
  LEAVE_SIGNAL,
  PRESENCE_PREFIX,
  readEnvelope,
  readPresenceInfo,
} from './envelope.js';
import { toTransportMessage } from './toTransportMessage.js';

type Waiter = [resolve: () => void, reject: (error: RealtimeError) => void];

/** What this connection wants on `presence-<name>`: to watch the members, to be one, or both. */
interface PresenceWish {
  watched: boolean;
  /** JSON of the data to be a member with; undefined while not entered. */
  data: string | undefined;
  /** What the last authorization of the Pusher channel carried (`null`: a hidden watcher). */
  signed: string | null | undefined;
  /** Changes run one after the other, so two never interleave unsubscribe and subscribe. */
  chain: Promise<unknown>;
}

/**
 * The Pusher channels of one long-lived pusher-js client, and how their events reach core.
 * pusher-js keeps its Channel objects across reconnects and subscribes them again by itself, so a
 * join that is pending while the link is down simply resolves once pusher-js is subscribed again.
 */
export class PusherChannels {
  /** Typed errors our authorizer saw, by Pusher channel, so a refused subscribe rejects precisely. */
  readonly authErrors = new Map<string, RealtimeError>();
  readonly presence = new Map<string, PresenceWish>();
  /** The Pusher channels this transport holds (an app's own client may hold others). */
  readonly names = new Set<string>();
  readonly #pusher: PusherClient;
  readonly #sink: TransportSink;
  readonly #acceptClientMessages: boolean;
  readonly #waiters = new Map<string, Waiter[]>();
  /** Channel objects already bound: pusher-js makes a new one after each unsubscribe. */
  readonly #bound = new WeakSet<Channel>();
  #closed = false;

  constructor(pusher: PusherClient, sink: TransportSink, acceptClientMessages: boolean) {
    this.#pusher = pusher;
    this.#sink = sink;
    this.#acceptClientMessages = acceptClientMessages;
  }

  /** Subscribe to a Pusher channel (if not yet) and resolve once pusher-js says it is subscribed. */
  join(name: string): Promise<void> {
    if (this.#closed) return Promise.reject(lostError('the client was closed'));
    this.names.add(name);
    const channel = this.#pusher.subscribe(name);
    this.#bind(channel);
    if (channel.subscribed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.set(name, [...(this.#waiters.get(name) ?? []), [resolve, reject]]);
    });
  }

  leave(name: string): void {
    this.#settle(name, lostError(`${name} was released`));
    this.authErrors.delete(name);
    this.names.delete(name);
    if (this.#pusher.channel(name)) this.#pusher.unsubscribe(name);
  }

  /** Hand core a message (a client event's local echo: Pusher never returns it to its sender). */
  deliver(message: TransportMessage): void {
    this.#sink.message(message);
  }

  isJoined(name: string): boolean {
    return this.#pusher.channel(name)?.subscribed === true;
  }

  wish(channel: string): PresenceWish {
    let wish = this.presence.get(channel);
    if (!wish) {
      wish = { watched: false, data: undefined, signed: undefined, chain: Promise.resolve() };
      this.presence.set(channel, wish);
    }
    return wish;
  }

  /**
   * Make `presence-<channel>` match the wish: unsubscribed when neither watched nor entered, a
   * member with exactly the wished data, otherwise a hidden watcher. Pusher fixes a member's data
   * at subscribe time, so different data means unsubscribing and subscribing again (others see a
   * leave and an enter, which core folds away); the same data never re-subscribes.
   */
  syncPresence(channel: string): Promise<void> {
    const wish = this.presence.get(channel);
    if (!wish) return Promise.resolve();
    const name = PRESENCE_PREFIX + channel;
    const released = () => this.presence.get(channel) !== wish;
    const run = async (): Promise<void> => {
      const wanted = wish.data ?? (wish.watched ? null : undefined);
      if (released() || wanted === undefined) return this.leave(name);
      if (this.#pusher.channel(name)) {
        // A pending subscription keeps the authorization it asked for: let it finish first.
        await this.join(name).catch(() => {});
        if (released()) return this.leave(name);
        if (wish.signed === wanted) return this.join(name);
        this.leave(name);
      }
      return this.join(name);
    };
    const next = wish.chain.then(run, run);
    wish.chain = next.catch(() => {});
    return next;
  }

  /**
   * Tell the others at once that this connection leaves `presence-<channel>` on purpose, before
   * it unsubscribes or closes: Pusher stamps our user_id on the client event, so receivers show a
   * deliberate leave instead of holding a member_removed for the grace period.
   */
  signalLeave(channel: string): void {
    const name = PRESENCE_PREFIX + channel;
    if (this.presence.get(channel)?.data === undefined || !this.isJoined(name)) return;
    this.#pusher
      .channel(name)
      .trigger(CLIENT_EVENT, { id: '', event: LEAVE_SIGNAL, data: null, timestamp: Date.now() });
  }

  /** Every pending join rejects; nothing is sent any more. */
  close(): void {
    this.#closed = true;
    for (const name of [...this.#waiters.keys()])
      this.#settle(name, lostError('the client was closed'));
  }

  /**
   * Real Pusher answers a bad subscription signature with a connection-level `pusher:error`
   * (code null) naming the channel, not with a channel event.
   */
  refused(message: string): void {
    for (const name of this.#waiters.keys()) {
      if (new RegExp(`[: ]${name.replace(/[.]/g, '\\.')}([,: ]|$)`).test(message)) {
        this.#settle(
          name,
          new AuthError(
            process.env.NODE_ENV !== 'production'
              ? `Pusher refused ${name}: ${message}. Sign with this app's secret.`
              : productionMessage(ErrorCodes.AuthRejected, name, message),
          ),
        );
      }
    }
  }

  #settle(name: string, error?: RealtimeError): void {
    const waiters = this.#waiters.get(name) ?? [];
    this.#waiters.delete(name);
    for (const [resolve, reject] of waiters) error ? reject(error) : resolve();
  }

  #bind(channel: Channel): void {
    if (this.#bound.has(channel)) return;
    this.#bound.add(channel);
    const { name } = channel;
    const portable = name.slice(name.indexOf('-') + 1);
    const presence = name.startsWith(PRESENCE_PREFIX);
    const members = () => (channel as PresenceChannel).members;
    const member = (userId: string | undefined): TransportPresenceMember | undefined => {
      const info = readPresenceInfo(userId && members()?.get(userId)?.info);
      return userId && info?.entered
        ? { clientId: info.clientId, connectionId: userId, data: info.data }
        : undefined;
    };
    channel.bind('pusher:subscription_succeeded', (all: Members) => {
      if (presence) {
        const list: TransportPresenceMember[] = [];
        all.each(({ id }: { id: string }) => {
          const one = member(id);
          // Pusher makes every subscriber a member; connections that only watch stay hidden.
          if (one) list.push(one);
        });
        this.#sink.presence(portable, { type: 'sync', members: list });
      }
      this.#settle(name);
    });
    channel.bind('pusher:subscription_error', (status: { error?: string; status?: number }) => {
      // The endpoint's own error for this attempt, if it failed; taken, so a later attempt that
      // fails for another reason reports that reason.
      const remembered = this.authErrors.get(name);
      this.authErrors.delete(name);
      this.#settle(name, remembered ?? subscriptionError(name, status));
    });
    const deliver = (event: string, data: unknown, userId?: string) => {
      if (event === CLIENT_EVENT && readEnvelope(data)?.event === LEAVE_SIGNAL) {
        const leaving = presence && member(userId);
        if (leaving)
          this.#sink.presence(portable, { type: 'leave', member: leaving, deliberate: true });
        return;
      }
      const message = toTransportMessage(event, data, {
        pusherChannel: name,
        // On presence channels Pusher stamps the sender's user_id: identity from auth, not payload.
        verifiedClientId: readPresenceInfo(userId && members()?.get(userId)?.info)?.clientId,
        acceptClientMessages: this.#acceptClientMessages,
      });
      if (message) this.#sink.message(message);
    };
    // Global callbacks get no metadata, where the sender's user_id travels: bind ours by name.
    channel.bind(CLIENT_EVENT, (data: unknown, metadata?: { user_id?: string }) =>
      deliver(CLIENT_EVENT, data, metadata?.user_id),
    );
    channel.bind_global((event: string, data: unknown) => {
      if (event !== CLIENT_EVENT && !event.startsWith('pusher')) deliver(event, data);
    });
    if (!presence) return;
    channel.bind('pusher:member_added', ({ id }: { id: string }) => {
      const added = member(id);
      if (added) this.#sink.presence(portable, { type: 'enter', member: added });
    });
    channel.bind('pusher:member_removed', ({ id, info }: { id: string; info: unknown }) => {
      // Already gone from pusher-js's list: the info travels with the event.
      const data = readPresenceInfo(info);
      if (data?.entered) {
        this.#sink.presence(portable, {
          type: 'leave',
          member: { clientId: data.clientId, connectionId: id, data: data.data },
        });
      }
    });
  }
}

/**
 * A subscription Pusher (or the app's own authorizer) refused while the link stays up: 401/403
 * for good, anything else (an authorizer's 5xx, a network error) retryable, as core's attach
 * backoff expects.
 */
function subscriptionError(
  name: string,
  status: { error?: string; status?: number },
): RealtimeError {
  if (status?.status === 401 || status?.status === 403) {
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `Pusher refused ${name}: ${status.error}.`
        : productionMessage(ErrorCodes.AuthRejected, name, status.error),
    );
  }
  const code = status?.status === 429 ? ErrorCodes.RateLimited : ErrorCodes.TransportError;
  return new RealtimeError(
    code,
    process.env.NODE_ENV !== 'production'
      ? `Pusher could not subscribe to ${name} (${status?.status ? `HTTP ${status.status}: ` : ''}${status?.error ?? 'no reason given'}). It is retried; if it keeps failing, look at the channel authorizer's logs.`
      : productionMessage(code, name, status?.status, status?.error),
    { retryable: true },
  );
}

export function lostError(reason: string): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `The Pusher link dropped (${reason}).`
      : productionMessage(ErrorCodes.ConnectionLost, reason),
    { retryable: true },
  );
}
