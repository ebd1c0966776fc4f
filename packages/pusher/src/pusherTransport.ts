import {
  ConfigError,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportPublish,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core';
import DefaultPusher, { type Options as PusherJsOptions } from 'pusher-js';
import { callEndpoint, type FetchLike } from './internal/endpointRequest.js';
import { MESSAGE_PREFIX, PRESENCE_PREFIX, type PusherEnvelope } from './internal/envelope.js';
import { abandonPusher, openPusherSession } from './internal/openPusherSession.js';
import { lostError, type PusherSession } from './internal/pusherSession.js';

/** The pusher-js constructor (`import Pusher from 'pusher-js'`), or a compatible build. */
export type PusherConstructor = new (key: string, options: PusherJsOptions) => DefaultPusher;

export interface PusherTransportOptions {
  /** Your Pusher app key (public). */
  key: string;
  /** Pusher cluster, e.g. `eu`. Default `mt1` (pusher-js requires one even with `wsHost`). */
  cluster?: string;
  /**
   * Absolute URL of `createPusherAuthHandler` on your server. It signs user sign-in and every
   * channel subscription; core's token is sent as `Authorization: Bearer <token>`.
   */
  authEndpoint: string;
  /**
   * Absolute URL of `createPusherPublishHandler`. With it, publishes are acknowledged (the promise
   * resolves once Pusher accepted the trigger, and rejects on refusal), carry your server's
   * verified clientId, and `echo: false` uses Pusher's own socket exclusion. Without it, messages
   * go out as client events: no ack, client events must be enabled in the Pusher app, at most
   * `clientEventsPerSecond` per connection, and receivers only learn the sender's clientId where
   * Pusher vouches for it (on the presence channel).
   */
  publishEndpoint?: string;
  /**
   * Client events this connection may send per second: Pusher's limit for your app (10 unless
   * Pusher raised it). The transport paces messages, typing and presence updates below it rather
   * than have Pusher reject them (error 4301). Default 10.
   */
  clientEventsPerSecond?: number;
  /** Extra pusher-js options (`wsHost`, `wsPort`, `forceTLS`, `enabledTransports` …). Auth stays with the transport. */
  pusherOptions?: Omit<
    Partial<PusherJsOptions>,
    'channelAuthorization' | 'userAuthentication' | 'authorizer' | 'authEndpoint' | 'auth'
  >;
  /** Give up a connection attempt after this long without a connection. Default 10 000 ms. */
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

/**
 * The Pusher Channels transport over pusher-js. Each core attempt creates one pusher-js client
 * whose own reconnection is cut short (any drop ends that client), so attempts, backoff and state
 * are core's, as on every provider. Portable channel `room` maps to `private-room` for messages
 * and `presence-room` for members; identity comes from your auth endpoint. Pusher has no history
 * or replay, so core emits `discontinuity` after every reconnect; presence updates are emulated.
 */
export function pusherTransport(options: PusherTransportOptions): Transport {
  if (typeof options?.key !== 'string' || options.key.length === 0) {
    throw new ConfigError('pusherTransport: "key" must be your Pusher app key.');
  }
  const rate = options?.clientEventsPerSecond;
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1)) {
    throw new ConfigError(
      `pusherTransport: "clientEventsPerSecond" must be a whole number ≥ 1 (Pusher's default is 10); got ${JSON.stringify(rate)}.`,
    );
  }
  for (const field of ['authEndpoint', 'publishEndpoint'] as const) {
    const url = options[field];
    if (
      (field === 'authEndpoint' || url !== undefined) &&
      (typeof url !== 'string' || !/^https?:\/\//.test(url))
    ) {
      throw new ConfigError(
        `pusherTransport: "${field}" must be an absolute http(s) URL of your server's handler (see @patchbay/realtime-pusher/server); got ${JSON.stringify(url)}.`,
      );
    }
  }
  return new PusherTransport(options);
}

class PusherTransport implements Transport {
  readonly provider = 'pusher';
  readonly capabilities: TransportCapabilities;
  readonly #options: PusherTransportOptions;
  #session: PusherSession | undefined;
  #token: string | undefined;
  #clientId: string | undefined;
  #publishes = new AbortController();
  #chain: Promise<unknown> = Promise.resolve();
  /** Messages handed over but never sent when the link dropped, by portable channel: sent first on the next link. */
  #unsent: Array<[string, PusherEnvelope]> = [];

  constructor(options: PusherTransportOptions) {
    this.#options = options;
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
      // Publish requests go one at a time (order across HTTP requests is not guaranteed), so
      // core waits for each ack before handing over the next: its ack timeout then measures the
      // request, not the line of requests before it.
      ...(acked ? { maxPublishesInFlight: 1 } : {}),
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    this.#token = request.token;
    this.#publishes = new AbortController();
    const options = this.#options;
    let created: PusherSession | undefined;
    try {
      const opened = await openPusherSession(
        {
          Pusher: options.Pusher ?? (DefaultPusher as unknown as PusherConstructor),
          key: options.key,
          pusherOptions: {
            ...options.pusherOptions,
            cluster: options.cluster ?? options.pusherOptions?.cluster ?? 'mt1',
          },
          connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
          fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
          authEndpoint: options.authEndpoint,
          acceptClientMessages: options.publishEndpoint === undefined,
          clientEventsPerSecond: options.clientEventsPerSecond ?? 10,
        },
        request,
        {
          created: (session) => {
            created = session;
            this.#session = session;
          },
          lost: (session, error) => {
            if (this.#session !== session) return;
            this.#session = undefined;
            this.#keepUnsent(session.close(error));
            // Stop pusher-js from reconnecting by itself: core owns retries.
            abandonPusher(session.pusher);
            request.sink.lost(error);
          },
        },
      );
      this.#clientId = opened.clientId;
      for (const [channel, envelope] of this.#unsent.splice(0)) {
        opened.session.sendClientEvent(channel, envelope);
      }
      return { clientId: opened.clientId, connectionId: opened.socketId };
    } catch (error) {
      if (created && this.#session === created) this.#session = undefined;
      throw error;
    }
  }

  disconnect(): void {
    const session = this.#session;
    this.#session = undefined;
    this.#publishes.abort();
    if (!session) return;
    this.#keepUnsent(session.close(lostError('the connection was closed')));
    abandonPusher(session.pusher);
  }

  async subscribe(
    channel: string,
    options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const session = this.#live();
    // Every attached channel also watches presence-<name>: core may start watching members after
    // the attach without telling the transport, and presence lives on a separate Pusher channel.
    // A refused watch only fails the attach when presence was asked for.
    session.watching.add(channel);
    const watch = session.join(PRESENCE_PREFIX + channel).catch((error: unknown) => {
      session.watching.delete(channel);
      if (options.presence) throw error;
    });
    try {
      await Promise.all([session.join(MESSAGE_PREFIX + channel), watch]);
    } catch (error) {
      this.#release(session, channel);
      throw error;
    }
    // Pusher keeps no history: nothing can be replayed, so core reports a discontinuity.
    return { recovered: false };
  }

  async unsubscribe(channel: string): Promise<void> {
    const session = this.#session;
    if (session) this.#release(session, channel);
  }

  async publish(message: TransportPublish): Promise<void> {
    const session = this.#live();
    // The publish endpoint builds its own envelope from the request (with the verified sender).
    if (!message.ephemeral && this.#options.publishEndpoint !== undefined) {
      await this.#post(session, message);
      return;
    }
    const envelope: PusherEnvelope = {
      id: message.id,
      event: message.event,
      data: message.data,
      timestamp: Date.now(),
      ...(this.#clientId !== undefined ? { clientId: this.#clientId } : {}),
    };
    if (message.ephemeral) {
      // Typing and emulated presence updates: client events on the presence channel, where
      // Pusher stamps the sender; dropped when they cannot go out there.
      session.sendSignal(message.channel, envelope);
      return;
    }
    // No ack exists: handed over means sent, or queued behind the subscription Pusher requires
    // and the rate limit. Sent on the presence channel, so receivers get a verified clientId.
    session.sendClientEvent(message.channel, envelope);
    // Pusher never returns client events to their sender; core drops this when echo is off.
    session.deliverLocally(message.channel, envelope);
  }

  async presenceEnter(channel: string, data: unknown): Promise<void> {
    const session = this.#live();
    session.presenceData.set(channel, data);
    await session.rejoin(PRESENCE_PREFIX + channel);
  }

  /** Not called by core (`presenceUpdate: false`: updates are emulated); re-enters with the new data. */
  async presenceUpdate(channel: string, data: unknown): Promise<void> {
    await this.presenceEnter(channel, data);
  }

  async presenceLeave(channel: string): Promise<void> {
    const session = this.#live();
    session.presenceData.delete(channel);
    // Pusher makes every subscriber a member: leaving means re-subscribing as a hidden watcher.
    if (session.watching.has(channel)) await session.rejoin(PRESENCE_PREFIX + channel);
    else session.leave(PRESENCE_PREFIX + channel);
  }

  #post(session: PusherSession, message: TransportPublish): Promise<unknown> {
    const endpoint = this.#options.publishEndpoint as string;
    const socketId = session.echo ? undefined : session.pusher.connection.socket_id;
    // This link's publishes end with it; each request also times out on its own, counted from
    // when it starts (requests wait in line). A plain controller and timer per request: the
    // AbortSignal.any + AbortSignal.timeout pair cost ~40 µs per publish in Node 20.
    const link = this.#publishes.signal;
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const run = async () => {
      const abort = new AbortController();
      const onLinkEnd = () => abort.abort(link.reason);
      if (link.aborted) onLinkEnd();
      else link.addEventListener('abort', onLinkEnd);
      const timer = setTimeout(
        () =>
          abort.abort(
            new DOMException(`no answer within ${timeoutMs} ms (requestTimeoutMs)`, 'TimeoutError'),
          ),
        timeoutMs,
      );
      try {
        return await callEndpoint({
          fetch: this.#options.fetch ?? globalThis.fetch.bind(globalThis),
          url: endpoint,
          token: this.#token,
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
        link.removeEventListener('abort', onLinkEnd);
      }
    };
    // One request at a time: concurrent HTTP requests could reach Pusher out of order.
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  #keepUnsent(unsent: Array<[string, PusherEnvelope]>): void {
    // Bounded: a link that keeps dying must not grow this without limit (oldest go first).
    this.#unsent.push(...unsent);
    if (this.#unsent.length > 1_000) this.#unsent.splice(0, this.#unsent.length - 1_000);
  }

  #release(session: PusherSession, channel: string): void {
    session.watching.delete(channel);
    session.presenceData.delete(channel);
    session.leave(MESSAGE_PREFIX + channel);
    session.leave(PRESENCE_PREFIX + channel);
    session.forgetRoute(channel);
  }

  #live(): PusherSession {
    const session = this.#session;
    if (!session) throw lostError('not connected');
    return session;
  }
}
