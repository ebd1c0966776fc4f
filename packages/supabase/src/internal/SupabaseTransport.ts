import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import {
  productionMessage,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportPublish,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core/transport';
import type {
  RealtimeChannel,
  RealtimeClient,
  WebSocketLikeConstructor,
} from '@supabase/realtime-js';
import type { SupabaseTransportOptions } from '../supabaseTransport.js';
import { ChannelFeed, type FeedHost } from './channelFeed.js';
import { realtimeEndpoint } from './endpoint.js';
import { toEnvelope } from './envelope.js';
import { lostError } from './errors.js';
import { Link } from './link.js';
import { postPublish } from './publishEndpoint.js';
import { watchSocket } from './watchSocket.js';

export type SupabaseTransportSettings = SupabaseTransportOptions &
  Required<Pick<SupabaseTransportOptions, 'maxMessageBytes' | 'RealtimeClient'>>;

/** The longest delay a timer takes (≈ 24.8 days): realtime-js then never drops an idle socket. */
const NEVER_MS = 2 ** 31 - 1;
/** Ids of this transport's own endpoint publishes kept to filter their echo (`echo: false`). */
const OWN_IDS = 5_000;

/**
 * The Supabase transport (`linkMode: 'persistent'`): one realtime-js client per transport (its
 * own, reused by every `connect()`, or the app's), one realtime-js channel per Patchbay channel.
 * See `supabaseTransport` for the behaviour; `Link` follows the socket, `ChannelFeed` a channel.
 */
export class SupabaseTransport implements Transport {
  readonly provider = 'supabase';
  readonly linkMode = 'persistent';
  readonly capabilities: TransportCapabilities;
  readonly #options: SupabaseTransportSettings;
  /** The client this transport built: realtime-js adds page listeners per client, so one is kept. */
  #own: RealtimeClient | undefined;
  #link: Link | undefined;
  readonly #feeds = new Map<string, ChannelFeed>();
  /** Every realtime-js channel Patchbay made, so a stale one of ours is never taken for the app's. */
  readonly #ours = new WeakSet<RealtimeChannel>();
  #echo = true;
  /** Our client's disconnect in progress: realtime-js ignores `connect()` until it is done. */
  #closing: Promise<unknown> = Promise.resolve();
  /** Aborts the endpoint publishes of the current connection when it closes. */
  #publishes = new AbortController();
  /** Endpoint publishes go one at a time: HTTP requests may overtake each other. */
  #chain: Promise<unknown> = Promise.resolve();
  /**
   * With `echo: false`, the ids this transport posted to `publishEndpoint`: the server's REST
   * broadcast reaches every socket, this one too (`self` only applies to socket broadcasts).
   */
  readonly #ownIds = new Set<string>();

  constructor(options: SupabaseTransportSettings) {
    this.#options = options;
    this.capabilities = Object.freeze({
      clientPublish: true,
      // `broadcast: { ack: true }`: Supabase answers each broadcast.
      publishAck: true,
      presence: true,
      // Tracking again replaces the connection's meta in place (Phoenix Presence update).
      presenceUpdate: true,
      // Broadcast keeps no history for client channels: nothing to read or replay.
      history: false,
      recovery: false,
      // `broadcast: { self }` decides whether a connection gets its own broadcasts.
      echoControl: true,
      maxMessageBytes: options.maxMessageBytes,
      // Supabase removes a member as soon as its socket goes: core holds that leave for the grace.
      presenceGrace: false,
      // Endpoint publishes are sent one at a time, so core hands over the next on each ack and
      // its timeout measures one request, not the line before it.
      ...(options.publishEndpoint !== undefined ? { maxPublishesInFlight: 1 } : {}),
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    this.#echo = request.echo;
    this.#publishes = new AbortController();
    const shared = this.#options.client;
    const client = shared ?? this.#ownClient();
    const link = new Link(client, request, shared === undefined);
    this.#link = link;
    if (!shared) await this.#closing;
    if (shared && request.token !== undefined) {
      // The app's client: Patchbay's token is set once; refreshing it stays with the app.
      await client.setAuth(request.token);
    }
    return link.open();
  }

  /** Leaves Patchbay's channels (members leave at once); the app's client stays connected. */
  disconnect(): void {
    const link = this.#link;
    this.#link = undefined;
    this.#publishes.abort(lostError('the client was closed'));
    const feeds = [...this.#feeds.values()];
    this.#feeds.clear();
    if (!link) return;
    link.close();
    // Announced first: others show these leaves now, not after their grace.
    for (const feed of feeds) feed.signalLeave();
    for (const feed of feeds) void feed.release();
    if (link.owned) this.#closing = link.client.disconnect().catch(() => {});
  }

  reconnectNow(): void {
    this.#link?.reconnectNow();
  }

  async subscribe(
    name: string,
    _options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const feed = await this.#feed(name);
    feed.held = true;
    feed.awaited = true;
    try {
      await feed.ready();
    } catch (error) {
      if (this.#feeds.get(name) === feed) {
        this.#feeds.delete(name);
        void feed.release();
      }
      throw error;
    } finally {
      feed.awaited = false;
    }
    // Broadcast has no history: a re-attach after a reconnect cannot replay (core reports it).
    return { recovered: false };
  }

  async unsubscribe(name: string): Promise<void> {
    const feed = this.#feeds.get(name);
    this.#feeds.delete(name);
    if (!feed) return;
    feed.signalLeave();
    await feed.release();
  }

  async publish(message: TransportPublish): Promise<void> {
    const link = this.#live();
    if (this.#options.publishEndpoint !== undefined && !message.ephemeral) {
      await this.#post(link, message);
      return;
    }
    // Ephemeral signals (typing) and, without an endpoint, every message: a socket broadcast.
    const feed = await this.#feed(message.channel);
    await feed.send(message.event, toEnvelope(message, link.clientId), message.ephemeral === true);
  }

  async presenceEnter(channel: string, data: unknown): Promise<void> {
    await (await this.#feed(channel)).track(data);
  }

  /** Tracking again replaces this connection's data in place: others see one update. */
  async presenceUpdate(channel: string, data: unknown): Promise<void> {
    await (await this.#feed(channel)).track(data);
  }

  async presenceLeave(channel: string): Promise<void> {
    await this.#feeds.get(channel)?.untrack();
  }

  /**
   * POST one publish to the app server's `createSupabasePublishHandler`, which broadcasts it over
   * Supabase's REST API (and can record it first). Resolves when Supabase accepted it.
   */
  #post(link: Link, message: TransportPublish): Promise<void> {
    if (!this.#echo) {
      this.#ownIds.add(message.id);
      if (this.#ownIds.size > OWN_IDS) {
        this.#ownIds.delete(this.#ownIds.values().next().value as string);
      }
    }
    const closed = this.#publishes.signal;
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const fetchImpl = this.#options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const run = async (): Promise<void> => {
      // Counted from when this request starts, not while it waits behind the one before it.
      const abort = new AbortController();
      const onClose = () => abort.abort(closed.reason);
      closed.addEventListener('abort', onClose);
      const timer = setTimeout(
        () =>
          abort.abort(
            new DOMException(`no answer within ${timeoutMs} ms (requestTimeoutMs)`, 'TimeoutError'),
          ),
        timeoutMs,
      );
      try {
        if (closed.aborted) throw lostError('the client was closed');
        const token =
          (await link.token()) ?? (link.owned ? null : (link.client.accessTokenValue ?? null));
        await postPublish({
          fetch: fetchImpl,
          endpoint: this.#options.publishEndpoint as string,
          token,
          body: {
            channel: message.channel,
            event: message.event,
            data: message.data === undefined ? null : message.data,
            id: message.id,
          },
          signal: abort.signal,
        });
      } finally {
        clearTimeout(timer);
        closed.removeEventListener('abort', onClose);
      }
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  /**
   * The feed of a channel, joining it if needed (a channel published to or entered without a
   * subscription is joined too: the publish then has Supabase's ack on this socket).
   */
  async #feed(name: string): Promise<ChannelFeed> {
    const link = this.#live();
    const existing = this.#feeds.get(name);
    if (existing) return existing;
    const stale = link.client.getChannels().find((channel) => channel.topic === `realtime:${name}`);
    if (stale) {
      if (!this.#ours.has(stale)) {
        throw new ConfigError(
          process.env.NODE_ENV !== 'production'
            ? `supabaseTransport: the app's own client already uses the channel "${name}"; give Patchbay channels names of their own.`
            : productionMessage(ErrorCodes.InvalidConfig, 'channel', name),
        );
      }
      // Ours, still leaving after a release or a close: finish that before joining again.
      await link.client.removeChannel(stale).catch(() => {});
      const raced = this.#feeds.get(name);
      if (raced) return raced;
      if (this.#link !== link) throw lostError('the client was closed');
    }
    const host: FeedHost = {
      sink: link.request.sink,
      clientId: link.clientId,
      connectionId: link.connectionId,
      socketUp: () => link.client.isConnected(),
      tokenRefused: (error) => link.fail(error),
      channelDown: (error) => link.channelDown(error),
      channelUp: () => link.channelUp(),
      alive: () => link.alive(),
      own: (id) => this.#ownIds.has(id),
    };
    const feed = new ChannelFeed(
      link.client,
      name,
      { echo: this.#echo, private: this.#options.private === true },
      host,
    );
    this.#ours.add(feed.channel);
    this.#feeds.set(name, feed);
    return feed;
  }

  #ownClient(): RealtimeClient {
    if (this.#own) return this.#own;
    const options = this.#options;
    const { transport, ...clientOptions } = options.clientOptions ?? {};
    const Base = (transport ?? globalThis.WebSocket) as WebSocketLikeConstructor | undefined;
    if (typeof Base !== 'function') {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? 'supabaseTransport: this runtime has no global WebSocket (Node 20): pass clientOptions.transport = WebSocket from "ws".'
          : productionMessage(ErrorCodes.InvalidConfig, 'clientOptions.transport'),
      );
    }
    try {
      this.#own = new options.RealtimeClient(realtimeEndpoint(options.url as string), {
        // A realtime-js client with no channels left disconnects its socket after a while: the
        // Patchbay link stays up until the app closes it.
        disconnectOnEmptyChannelsAfterMs: NEVER_MS,
        ...clientOptions,
        params: { ...options.params, apikey: options.apiKey as string },
        transport: watchSocket(Base, () => this.#link?.events),
        reconnectAfterMs: (tries) => this.#link?.retryIn(tries) ?? 1_000 * tries,
        heartbeatCallback: (status, latency) => {
          this.#link?.heartbeat(status);
          clientOptions.heartbeatCallback?.(status, latency);
        },
        accessToken: () => this.#link?.token() ?? Promise.resolve(null),
      });
    } catch (error) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `supabaseTransport: realtime-js refused its options (${(error as Error).message ?? error}). Check "url", "apiKey" and "clientOptions".`
          : productionMessage(ErrorCodes.InvalidConfig, 'clientOptions', (error as Error).message),
        { cause: error },
      );
    }
    return this.#own;
  }

  #live(): Link {
    if (!this.#link) throw lostError('not connected');
    return this.#link;
  }
}
