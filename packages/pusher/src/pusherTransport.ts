import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import type {
  Transport,
  TransportCapabilities,
  TransportConnection,
  TransportConnectRequest,
  TransportPublish,
  TransportSubscribeOptions,
  TransportSubscribeResult,
} from '@patchbay/realtime-core/transport';
import { productionMessage } from '@patchbay/realtime-core/transport';
import DefaultPusher, { type Options as PusherJsOptions } from 'pusher-js';
import { ClientEventLanes } from './internal/clientEventLanes.js';
import { callEndpoint, type FetchLike } from './internal/endpointRequest.js';
import { MESSAGE_PREFIX, PRESENCE_PREFIX, type PusherEnvelope } from './internal/envelope.js';
import { lostError } from './internal/pusherChannels.js';
import { PusherLink } from './internal/pusherLink.js';
import { fromEnvelope } from './internal/toTransportMessage.js';

/** The pusher-js constructor (`import Pusher from 'pusher-js'`), or a compatible build. */
export type PusherConstructor = new (key: string, options: PusherJsOptions) => DefaultPusher;

export interface PusherTransportOptions {
  /** Your Pusher app key (public). */
  key: string;
  /** Pusher cluster, e.g. `eu`. Default `mt1` (pusher-js requires one even with `wsHost`). */
  cluster?: string;
  /**
   * Absolute URL of `createPusherAuthHandler` on your server. It tells each connection who it is
   * and signs every channel subscription; core's token is sent as `Authorization: Bearer <token>`.
   */
  authEndpoint: string;
  /**
   * Absolute URL of `createPusherPublishHandler`. With it, publishes are acknowledged, carry your
   * server's verified clientId, and `echo: false` uses Pusher's own socket exclusion. Without it,
   * messages go out as client events: no ack, client events must be enabled in the Pusher app,
   * at most `clientEventsPerSecond` per connection.
   */
  publishEndpoint?: string;
  /** Pusher's client-event limit per connection for your app; the transport paces below it. Default 10. */
  clientEventsPerSecond?: number;
  /**
   * The app's own pusher-js client (e.g. Laravel Echo's `echo.connector.pusher`), so the app keeps
   * one connection. Patchbay only subscribes and unsubscribes its own channels on it and never
   * disconnects it; `key`, `cluster`, `pusherOptions` and `Pusher` are then unused.
   */
  pusher?: DefaultPusher;
  /** Extra pusher-js options (`wsHost`, `wsPort`, `forceTLS`, `enabledTransports`, `activityTimeout` …). */
  pusherOptions?: Omit<
    Partial<PusherJsOptions>,
    'channelAuthorization' | 'userAuthentication' | 'authorizer' | 'authEndpoint' | 'auth'
  >;
  /** One connection attempt ends after this long (pusher-js's `unavailableTimeout`). Default: core's `reconnect.connectTimeoutMs`. */
  connectTimeoutMs?: number;
  /** How long one publish request may take. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Largest message, in bytes of JSON. Default 9 216 (Pusher's 10 KB minus Patchbay's envelope). */
  maxMessageBytes?: number;
  /** Inject pusher-js (a specific build). Default: the installed peer dependency. */
  Pusher?: PusherConstructor;
  /** Inject `fetch` for the auth and publish endpoints. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
}

const PRESENCE_UPDATE_EVENT = 'patchbay:presence-update';

/**
 * The Pusher Channels transport over one long-lived pusher-js client per Patchbay client (or the
 * app's own). pusher-js reconnects by itself and subscribes its channels again; the transport
 * reports its attempts to core. Portable channel `room` is `private-room` for messages and
 * `presence-room` for members, joined only while presence is used. Pusher has no history, so core
 * emits `discontinuity` after a reconnect; presence updates are emulated.
 */
export function pusherTransport(options: PusherTransportOptions): Transport {
  if (!options?.pusher && !options?.key) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'pusherTransport: "key" must be your Pusher app key (or pass "pusher").'
        : productionMessage(ErrorCodes.InvalidConfig, 'key'),
    );
  }
  const rate = options.clientEventsPerSecond ?? 10;
  if (!(Number.isInteger(rate) && rate >= 1)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `pusherTransport: "clientEventsPerSecond" must be a whole number ≥ 1 (Pusher's default is 10); got ${JSON.stringify(rate)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'clientEventsPerSecond', rate),
    );
  }
  for (const field of ['authEndpoint', 'publishEndpoint'] as const) {
    const url = options[field];
    if ((field === 'authEndpoint' || url !== undefined) && !/^https?:\/\//.test(String(url))) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `pusherTransport: "${field}" must be an absolute http(s) URL of your server's handler (see @patchbay/realtime-pusher/server); got ${JSON.stringify(url)}.`
          : productionMessage(ErrorCodes.InvalidConfig, field, url),
      );
    }
  }
  return new PusherTransport(options, rate);
}

class PusherTransport implements Transport {
  readonly provider = 'pusher';
  readonly linkMode = 'persistent';
  readonly capabilities: TransportCapabilities;
  readonly #options: PusherTransportOptions;
  readonly #rate: number;
  readonly #fetch: FetchLike;
  #link: PusherLink | undefined;
  /**
   * The pusher-js client this transport made, reused by every later `connect()`: pusher-js keeps
   * each client it creates (and its network listeners) for the life of the process, so one per
   * transport is what does not grow. Its auth handlers ask the current link.
   */
  #own: DefaultPusher | undefined;
  #auth: Parameters<ConstructorParameters<typeof PusherLink>[2]>[0] | undefined;
  /** The owned client's disconnect, a tick after the leave signals were handed to it. */
  #closing: ReturnType<typeof setTimeout> | undefined;
  #lanes: ClientEventLanes | undefined;
  #clientId: string | undefined;
  #echo = true;
  #publishes = new AbortController();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: PusherTransportOptions, rate: number) {
    this.#options = options;
    this.#rate = rate;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const acked = options.publishEndpoint !== undefined;
    this.capabilities = Object.freeze({
      clientPublish: true,
      publishAck: acked,
      presence: true,
      presenceUpdate: false,
      history: false,
      recovery: false,
      echoControl: acked,
      maxMessageBytes: options.maxMessageBytes ?? 9_216,
      // Pusher reports member_removed as soon as a socket closes: core holds it for the grace.
      presenceGrace: false,
      // Publish requests go one at a time (HTTP requests may overtake each other), so core hands
      // over the next on each ack and its timeout measures one request, not the line before it.
      ...(acked ? { maxPublishesInFlight: 1 } : {}),
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    if (this.#closing !== undefined) {
      // Connecting again right after a close: end the old connection now, not a tick later.
      clearTimeout(this.#closing);
      this.#closing = undefined;
      this.#own?.disconnect();
    }
    const options = this.#options;
    this.#echo = request.echo;
    this.#publishes = new AbortController();
    const link = new PusherLink(
      {
        pusher: options.pusher,
        fetch: this.#fetch,
        authEndpoint: options.authEndpoint,
        acceptClientMessages: !options.publishEndpoint,
      },
      request,
      (auth) => {
        if (options.pusher) return undefined;
        this.#auth = auth;
        if (this.#own) return this.#own;
        const closed = (callback: (error: Error | null, data: null) => void) =>
          callback(lostError('the client was closed'), null);
        try {
          this.#own = new (options.Pusher ?? (DefaultPusher as unknown as PusherConstructor))(
            options.key,
            {
              ...options.pusherOptions,
              cluster: options.cluster ?? options.pusherOptions?.cluster ?? 'mt1',
              unavailableTimeout: options.connectTimeoutMs ?? request.reconnect.connectTimeoutMs,
              channelAuthorization: {
                customHandler: (params, callback) =>
                  this.#auth ? this.#auth.channel(params, callback) : closed(callback),
              },
              userAuthentication: {
                customHandler: (params, callback) =>
                  this.#auth ? this.#auth.user(params, callback) : closed(callback),
              },
            },
          );
          return this.#own;
        } catch (error) {
          throw new ConfigError(
            process.env.NODE_ENV !== 'production'
              ? `pusher-js refused its options: ${(error as Error).message ?? error}. Check "key", "cluster" and "pusherOptions".`
              : productionMessage(
                  ErrorCodes.InvalidConfig,
                  'pusherOptions',
                  (error as Error).message,
                ),
            { cause: error },
          );
        }
      },
    );
    this.#link = link;
    this.#lanes = new ClientEventLanes(link.pusher, link.channels, this.#rate);
    const connection = await link.open();
    this.#clientId = connection.clientId;
    return connection;
  }

  /** Ends our use of the client: members leave at once, the app's own client stays connected. */
  disconnect(): void {
    const link = this.#link;
    this.#link = undefined;
    this.#publishes.abort();
    this.#lanes?.close();
    if (!link) return;
    this.#auth = undefined;
    for (const channel of link.channels.presence.keys()) link.channels.signalLeave(channel);
    const names = [...link.channels.names];
    link.close();
    // The client outlives this connection (ours is reused, the app's stays): unsubscribe our
    // channels, or pusher-js would subscribe them again on the next connect.
    for (const name of names) link.pusher.unsubscribe(name);
    // pusher-js sends every frame a timer tick later but closes at once: close after the leaves.
    if (link.owned) {
      this.#closing = setTimeout(() => {
        this.#closing = undefined;
        link.pusher.disconnect();
      });
    }
  }

  reconnectNow(): void {
    this.#link?.reconnectNow();
  }

  async subscribe(
    channel: string,
    options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const { channels } = this.#live();
    const clientEvents = !this.#options.publishEndpoint;
    // Client-event messages travel on the presence channel, so there every receiver watches it.
    channels.wish(channel).watched = clientEvents || options.presence === true;
    const joins = [channels.join(MESSAGE_PREFIX + channel)];
    if (clientEvents) {
      // Refused presence only fails the attach when presence was asked for: messages then go
      // on the private channel, without a verified sender.
      joins.push(
        channels.syncPresence(channel).catch((error: unknown) => {
          if (options.presence) throw error;
        }),
      );
    }
    try {
      await Promise.all(joins);
    } catch (error) {
      this.unsubscribe(channel);
      throw error;
    }
    // Core enters presence right after this resolves: joining presence a task later joins once,
    // as a member, instead of as a watcher first.
    if (!clientEvents) setTimeout(() => channels.syncPresence(channel).catch(() => {}));
    // Pusher keeps no history: nothing can be replayed, so core reports a discontinuity.
    return { recovered: false };
  }

  /** Presence use changed on an attached channel: join `presence-<name>` only while it is used. */
  async watchPresence(channel: string, watching: boolean): Promise<void> {
    const { channels } = this.#live();
    channels.wish(channel).watched = watching || !this.#options.publishEndpoint;
    await channels.syncPresence(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    const channels = this.#link?.channels;
    if (!channels) return;
    channels.signalLeave(channel);
    channels.presence.delete(channel);
    channels.leave(MESSAGE_PREFIX + channel);
    channels.leave(PRESENCE_PREFIX + channel);
  }

  async publish(message: TransportPublish): Promise<void> {
    const link = this.#live();
    if (this.#options.publishEndpoint && !message.ephemeral) {
      await this.#post(link, message);
      return;
    }
    // Typing and emulated presence updates are client events on the presence channel, where
    // Pusher stamps the sender; core joins it wherever presence or typing is used.
    const envelope: PusherEnvelope = {
      id: message.id,
      event: message.event,
      data: message.data,
      timestamp: Date.now(),
    };
    const update = message.data as { data?: string } | null;
    if (message.event === PRESENCE_UPDATE_EVENT && update && 'data' in update) {
      // Any later authorization (a reconnect) enters with the latest data, so nobody sees it go back.
      const wish = link.channels.presence.get(message.channel);
      if (wish?.data !== undefined) wish.data = JSON.stringify(update.data ?? null);
    }
    this.#lanes?.send(message.channel, envelope, message.ephemeral === true);
    // Pusher never returns client events to their sender; core drops this when echo is off.
    if (!message.ephemeral)
      link.channels.deliver(fromEnvelope(message.channel, envelope, this.#clientId));
  }

  async presenceEnter(channel: string, data: unknown): Promise<void> {
    const { channels } = this.#live();
    channels.wish(channel).data = JSON.stringify(data ?? null);
    await channels.syncPresence(channel);
  }

  /** Not called by core (`presenceUpdate: false`: updates are emulated); enters with the new data. */
  presenceUpdate(channel: string, data: unknown): Promise<void> {
    return this.presenceEnter(channel, data);
  }

  async presenceLeave(channel: string): Promise<void> {
    const { channels } = this.#live();
    channels.signalLeave(channel);
    channels.wish(channel).data = undefined;
    // Pusher makes every subscriber a member: still watching means re-subscribing as a watcher.
    await channels.syncPresence(channel);
  }

  #post(link: PusherLink, message: TransportPublish): Promise<unknown> {
    const socketId = this.#echo ? undefined : link.pusher.connection.socket_id;
    const closed = this.#publishes.signal;
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const run = async () => {
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
        return await callEndpoint({
          fetch: this.#fetch,
          url: this.#options.publishEndpoint as string,
          token: await link.token(),
          body: {
            channel: message.channel,
            event: message.event,
            data: message.data,
            id: message.id,
            ...(socketId ? { socketId } : {}),
          },
          signal: abort.signal,
          what: `publish of "${message.event}" on "${message.channel}"`,
          publish: { channel: message.channel, event: message.event },
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

  #live(): PusherLink {
    if (!this.#link) throw lostError('not connected');
    return this.#link;
  }
}
