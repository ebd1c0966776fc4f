import {
  AuthError,
  ErrorCodes,
  PublishRejectedError,
  RealtimeError,
} from '@patchbay/realtime-core';
import {
  malformedFrameError,
  productionMessage,
  type TransportSink,
} from '@patchbay/realtime-core/transport';
import type { RealtimeChannel, RealtimeClient } from '@supabase/realtime-js';
import { fromBroadcast, LEAVE_SIGNAL, type SupabaseEnvelope } from './envelope.js';
import { joinError, lostError, refusalReason } from './errors.js';
import { type PresenceMeta, PresenceMirror } from './presence.js';

/** What a feed needs from the transport that owns it. */
export interface FeedHost {
  sink: TransportSink;
  /** This connection's identity and Patchbay connection id. */
  clientId: string | undefined;
  connectionId: string;
  /** The socket is open (a channel error then is the channel's, not the link's). */
  socketUp(): boolean;
  /** A rejoin was refused for the token: the link cannot continue with it. */
  tokenRefused(error: RealtimeError): void;
  /** Shared clients: a channel saw the socket go down, or joined again. */
  channelDown(error: RealtimeError): void;
  channelUp(): void;
  /** The server answers this socket right now (a heartbeat round trip); false when unknown. */
  alive(): Promise<boolean>;
  /** A message this connection published through the app's endpoint while `echo` is off. */
  own(id: string): boolean;
}

/**
 * How long a broadcast on a private channel may go unacknowledged before the transport asks
 * whether the server is there at all. Supabase drops a broadcast that RLS does not allow without
 * a reply; one that is still unanswered when a later heartbeat is answered was refused.
 */
const REFUSAL_CHECK_MS = 1_000;

export interface FeedConfig {
  echo: boolean;
  private: boolean;
}

type Status = 'SUBSCRIBED' | 'TIMED_OUT' | 'CLOSED' | 'CHANNEL_ERROR';

/**
 * One Patchbay channel on one realtime-js channel (topic = the portable name). realtime-js joins
 * it, and after a dropped socket or a channel error rejoins it by itself; the feed turns its
 * subscribe statuses into attach outcomes, broadcasts into messages, and presence syncs into
 * member lists. Broadcast keeps no history, so a rejoin after joined is a gap: core reports it
 * when it re-attaches after a reconnect, the feed itself when only the channel was rejoined.
 */
export class ChannelFeed {
  readonly name: string;
  readonly channel: RealtimeChannel;
  /** Core holds the channel (subscribed): its messages and members are delivered. */
  held = false;
  /** Core is re-attaching and reports the gap itself. */
  awaited = false;
  /** The presence data this connection tracks here, if it entered. */
  entered: { data: unknown } | undefined;
  readonly #client: RealtimeClient;
  readonly #host: FeedHost;
  readonly #private: boolean;
  #joined = false;
  #everJoined = false;
  /** Lost continuity while the socket stayed up: reported on the next join. */
  #channelGap = false;
  #waiters = new Set<{ resolve(): void; reject(error: unknown): void }>();
  /** presence_refs whose owners announced a deliberate leave not yet applied by the server. */
  readonly #hidden = new Set<string>();
  readonly #presence = new PresenceMirror();
  #failed: RealtimeError | undefined;
  #released = false;

  constructor(client: RealtimeClient, name: string, config: FeedConfig, host: FeedHost) {
    this.name = name;
    this.#client = client;
    this.#host = host;
    this.#private = config.private;
    this.channel = client.channel(name, {
      config: {
        // Acks make publish resolve on Supabase's word; `self` is core's echo option.
        broadcast: { ack: true, self: config.echo },
        presence: { key: host.connectionId, enabled: true },
        private: config.private,
      },
    });
    this.channel.on('broadcast', { event: '*' }, (message) =>
      this.#onBroadcast(message.event, message.payload),
    );
    this.channel.on('presence', { event: 'join' }, ({ key, newPresences }) =>
      this.#presence.join(key, newPresences),
    );
    this.channel.on('presence', { event: 'leave' }, ({ key, leftPresences, currentPresences }) =>
      this.#presence.leave(key, leftPresences, currentPresences),
    );
    this.channel.on('presence', { event: 'sync' }, () => this.#onSync());
    this.channel.subscribe((status, error) => this.#onStatus(status as Status, error));
  }

  get joined(): boolean {
    return this.#joined;
  }

  /** Resolves once the channel is joined (now, or at the next join); rejects when it cannot be. */
  ready(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#joined && this.channel.state === 'joined') return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.add({ resolve, reject }));
  }

  /** Broadcast one envelope; resolves on Supabase's ack (ephemeral: when handed over). */
  async send(event: string, envelope: SupabaseEnvelope, ephemeral: boolean): Promise<void> {
    await this.ready();
    const sent = this.channel.send({ type: 'broadcast', event, payload: envelope });
    if (ephemeral) {
      sent.catch(() => {});
      return;
    }
    const status = this.#private ? await this.#refusable(sent) : await sent;
    if (status === 'ok') return;
    if (status === 'timed out') {
      throw lostError(`no ack for "${event}" within ${this.#client.timeout} ms`);
    }
    throw new PublishRejectedError(
      this.name,
      event,
      process.env.NODE_ENV !== 'production'
        ? status === 'refused'
          ? 'Supabase Realtime dropped the broadcast unanswered while answering heartbeats: an RLS policy on realtime.messages does not let this user send on this channel'
          : 'Supabase Realtime refused the broadcast'
        : status,
    );
  }

  /** The broadcast's answer, or `refused` when the server answers heartbeats but not it. */
  #refusable(sent: Promise<string>): Promise<string> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        void this.#host.alive().then((alive) => {
          if (alive && !settled) resolve('refused');
        });
      }, REFUSAL_CHECK_MS);
      void sent.then((status) => {
        settled = true;
        clearTimeout(timer);
        resolve(status);
      });
    });
  }

  async track(data: unknown): Promise<void> {
    await this.ready();
    const meta: PresenceMeta = {
      clientId: this.#host.clientId ?? this.#host.connectionId,
      connectionId: this.#host.connectionId,
      data: data === undefined ? null : data,
    };
    const status = await this.channel.track(meta as unknown as Record<string, unknown>);
    if (status === 'ok') {
      this.entered = { data: meta.data };
      return;
    }
    if (status === 'timed out') throw lostError(`no answer to presence on "${this.name}"`);
    throw new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `Supabase Realtime refused presence on "${this.name}": allow presence for this user with an RLS policy on realtime.messages (extension = 'presence'), or stay under the project's presence rate limit.`
        : productionMessage(ErrorCodes.AuthRejected, 'presence', this.name),
    );
  }

  /** Announce a deliberate leave (others show it at once), then stop tracking. */
  async untrack(): Promise<void> {
    this.signalLeave();
    this.entered = undefined;
    if (!this.#joined) return;
    await this.channel.untrack();
  }

  /** Tell the others this connection leaves on purpose (not a dropped link). */
  signalLeave(): void {
    if (!this.entered || !this.#joined) return;
    const ref = this.#presence.refOf(this.#host.connectionId);
    const envelope: SupabaseEnvelope = {
      patchbay: 1,
      id: globalThis.crypto.randomUUID(),
      data: { connectionId: this.#host.connectionId, ref: ref ?? null },
      ...(this.#host.clientId !== undefined ? { clientId: this.#host.clientId } : {}),
      timestamp: Date.now(),
    };
    this.channel
      .send({ type: 'broadcast', event: LEAVE_SIGNAL, payload: envelope })
      .catch(() => {});
  }

  /** Leave the channel for good (realtime-js stops rejoining it). */
  release(): Promise<unknown> {
    this.#released = true;
    this.#fail(lostError(`"${this.name}" was released`));
    return this.#client.removeChannel(this.channel).catch(() => {});
  }

  #onStatus(status: Status, error: Error | undefined): void {
    if (this.#released) return;
    if (status === 'SUBSCRIBED') {
      const rejoin = this.#everJoined;
      this.#joined = true;
      this.#everJoined = true;
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const waiter of waiters) waiter.resolve();
      this.#host.channelUp();
      if (rejoin && this.#channelGap && !this.awaited) {
        // Rejoined while the socket stayed up: core did not see a reconnect, so report here.
        this.#channelGap = false;
        if (this.held) this.#host.sink.discontinuity(this.name, 'provider-cannot-replay');
        if (this.entered) this.track(this.entered.data).catch(() => {});
      }
      this.#channelGap = false;
      return;
    }
    if (status === 'CHANNEL_ERROR') {
      const reason = refusalReason(error);
      if (reason !== undefined) {
        // Supabase refused the join: realtime-js would retry it forever, so stop here.
        const refusal = joinError(reason, this.name);
        if (this.#everJoined && refusal instanceof AuthError && /token/i.test(refusal.message)) {
          this.#host.tokenRefused(refusal);
        } else if (this.#everJoined && this.held && this.#waiters.size === 0) {
          this.#host.sink.error?.(refusal);
        }
        this.#released = true;
        this.#fail(refusal);
        this.#client.removeChannel(this.channel).catch(() => {});
        return;
      }
      const wasJoined = this.#joined;
      this.#joined = false;
      if (this.#host.socketUp()) {
        if (wasJoined) this.#channelGap = true;
      } else {
        this.#host.channelDown(lostError(error?.message ?? 'the socket closed', error));
      }
      return;
    }
    if (status === 'CLOSED') {
      // Closed by the server (e.g. its token checks), not by `release()`.
      this.#joined = false;
      this.#released = true;
      const closed = new RealtimeError(
        ErrorCodes.TransportError,
        process.env.NODE_ENV !== 'production'
          ? `Supabase Realtime closed "${this.name}"; resubscribe to join it again.`
          : productionMessage(ErrorCodes.TransportError, 'closed', this.name),
        { retryable: true },
      );
      if (this.held && this.#waiters.size === 0) this.#host.sink.error?.(closed);
      this.#fail(closed);
    }
    // TIMED_OUT: realtime-js tries the join again by itself.
  }

  #fail(error: RealtimeError): void {
    this.#failed = error;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  #onBroadcast(event: string, payload: unknown): void {
    if (event === LEAVE_SIGNAL) {
      this.#onLeaveSignal(payload);
      return;
    }
    if (!this.held) return;
    const inbound = fromBroadcast(this.name, event, payload);
    if (inbound.kind === 'malformed') {
      this.#host.sink.error?.(malformedFrameError('Supabase Realtime', 'broadcast', payload));
      return;
    }
    // `self: false` keeps this socket's own broadcasts away, not the server's REST broadcast of
    // what this connection posted to the publish endpoint.
    if (!inbound.message.ephemeral && this.#host.own(inbound.message.id)) return;
    this.#host.sink.message(inbound.message);
  }

  /** A member announced a deliberate leave: show it now, and hide it until the server applies it. */
  #onLeaveSignal(payload: unknown): void {
    const inbound = fromBroadcast(this.name, LEAVE_SIGNAL, payload);
    if (inbound.kind !== 'message' || !inbound.message.clientId) return;
    const body = inbound.message.data as { connectionId?: unknown; ref?: unknown } | null;
    if (typeof body?.connectionId !== 'string') return;
    if (typeof body.ref === 'string') this.#hidden.add(body.ref);
    if (!this.held) return;
    this.#host.sink.presence(this.name, {
      type: 'leave',
      member: { clientId: inbound.message.clientId, connectionId: body.connectionId, data: null },
      deliberate: true,
    });
  }

  #onSync(): void {
    const { members, refs } = this.#presence.members(this.#hidden);
    for (const ref of this.#hidden) if (!refs.has(ref)) this.#hidden.delete(ref);
    if (this.held) this.#host.sink.presence(this.name, { type: 'sync', members });
  }
}
