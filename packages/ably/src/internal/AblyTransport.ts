import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import {
  productionMessage,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportHistoryOptions,
  type TransportMessage,
  type TransportPublish,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core/transport';
import type * as Ably from 'ably';
import { ChannelFeed, type FeedHost } from './channelFeed.js';
import { encodeData, encodePresence, toTransportMessage } from './codec.js';
import { createClient } from './createClient.js';
import { channelError, lostError, publishError } from './errors.js';
import {
  type AblyClientSource,
  type AblyTransportBaseOptions,
  RECOVERY_KEY,
  type RealtimeConstructor,
} from './options.js';
import type { ChannelCursor } from './replayMissed.js';
import { type ConnectionWatch, watchConnection } from './watchConnection.js';

export type AblyTransportSettings = AblyTransportBaseOptions &
  AblyClientSource & { Realtime?: RealtimeConstructor | undefined };

/**
 * The Ably transport (`linkMode: 'persistent'`): one Ably client per Patchbay client for its
 * whole life, created in the first `connect()` and closed only by `disconnect()`. ably-js
 * reconnects, resumes the connection and re-attaches channels by itself; the transport maps its
 * states onto core's sink, and reads history only for a channel Ably could not resume.
 */
export class AblyTransport implements Transport {
  readonly provider = 'ably';
  readonly linkMode = 'persistent';
  readonly capabilities: TransportCapabilities;
  readonly #options: AblyTransportSettings;
  #client: Ably.RealtimeClient | undefined;
  #watch: ConnectionWatch | undefined;
  readonly #feeds = new Map<string, ChannelFeed>();
  /** Per-channel cursors outlive a client (core may start a new one): recovery reads from them. */
  readonly #cursors = new Map<string, ChannelCursor>();
  /** Presence data entered per channel: an identical re-enter after a reconnect is a no-op. */
  readonly #entered = new Map<string, string>();
  #host: FeedHost | undefined;
  #saving = false;

  constructor(options: AblyTransportSettings) {
    this.#options = options;
    this.capabilities = Object.freeze({
      clientPublish: true,
      publishAck: true,
      presence: true,
      presenceUpdate: true,
      history: true,
      recovery: true,
      echoControl: true,
      maxMessageBytes: options.maxMessageBytes ?? 65_536,
      // Ably keeps a member whose connection dropped for 15 s before it reports the leave.
      presenceGrace: true,
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    const shared = this.#options.client;
    let client: Ably.RealtimeClient;
    try {
      client =
        shared ??
        createClient(this.#options, request, (error) => {
          // The app's auth() refused for good while Ably renewed its token: core fails the link.
          this.#watch?.fail(error);
        });
    } catch (error) {
      // ably-js validates options in its constructor (e.g. 40106, no credentials): not retryable.
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `ablyTransport: Ably refused the client options (${error}); give it credentials (key, authUrl, authCallback or auth()).`
          : productionMessage(ErrorCodes.InvalidConfig, 'clientOptions', String(error)),
        { cause: error },
      );
    }
    this.#client = client;
    this.#host = {
      sink: request.sink,
      maxPages: this.#options.maxRecoveryPages ?? 10,
      connected: () => client.connection.state === 'connected',
      delivered: () => this.#saveRecoveryKey(),
    };
    const watch = watchConnection(client, request, () => this.#saveRecoveryKey());
    this.#watch = watch;
    return watch.opened;
  }

  disconnect(): void {
    const client = this.#client;
    this.#watch?.stop();
    this.#client = this.#watch = this.#host = undefined;
    if (client && this.#options.client) {
      // Shared: leave what Patchbay joined, keep the app's connection.
      for (const name of this.#entered.keys())
        client.channels
          .get(name)
          .presence.leave()
          .catch(() => {});
      for (const feed of this.#feeds.values()) void this.#release(feed, false);
    }
    this.#feeds.clear();
    this.#entered.clear();
    if (client && !this.#options.client) {
      // A closed connection cannot be recovered: the next page starts afresh.
      const { recover } = this.#options;
      recover?.storage.removeItem(recover.key ?? RECOVERY_KEY);
      // Ably's close leaves presence at once and ends the connection for good.
      client.close();
    }
  }

  reconnectNow(): void {
    this.#client?.connection.connect();
  }

  async subscribe(
    name: string,
    { resumeFrom }: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const client = this.#live();
    const host = this.#host as FeedHost;
    let feed = this.#feeds.get(name);
    let created: ChannelFeed | undefined;
    try {
      if (feed && resumeFrom !== undefined) {
        // Ably re-attaches by itself after a reconnect; wait for it, and repair only a gap.
        feed.awaited = true;
        await feed.channel.attach();
        const replayed = feed.gap ? await feed.recover() : true;
        // Ably's own re-attach may have given a gap up while this attach was waiting.
        const recovered = !feed.takeUnreported() && replayed;
        await feed.sync();
        return { recovered, seq: feed.cursor.seq };
      }
      // A first subscribe, or the first on a new client (core reconnected by itself after
      // Ably gave up): then everything since the cursor is a gap, replayed from history.
      if (feed) this.#unlisten(feed);
      const previous = resumeFrom !== undefined ? this.#cursors.get(name) : undefined;
      const cursor = previous ?? { seq: this.#cursors.get(name)?.seq ?? 0, serial: '' };
      this.#cursors.set(name, cursor);
      feed = created = new ChannelFeed(name, client.channels.get(name), cursor, host);
      this.#feeds.set(name, feed);
      if (previous) feed.open();
      feed.awaited = true;
      const { channel } = feed;
      channel.on(['attached', 'update'], feed.onAttach);
      await channel.subscribe(feed.onMessage);
      await channel.presence.subscribe(['enter', 'update', 'leave'], feed.onPresence);
      feed.live = true;
      await feed.sync();
      const recovered = previous ? await feed.recover() : false;
      feed.takeUnreported();
      return { recovered, seq: cursor.seq };
    } catch (error) {
      if (created) {
        this.#unlisten(created);
        if (this.#feeds.get(name) === created) this.#feeds.delete(name);
        // A refused attach leaves the channel suspended, and ably-js would attach it again by
        // itself after its channel retry timeout; whether and when to retry is core's call.
        void created.channel.detach().catch(() => {});
      }
      throw channelError(error, name, 'subscribe');
    } finally {
      if (feed) feed.awaited = false;
    }
  }

  async unsubscribe(name: string): Promise<void> {
    this.#cursors.delete(name);
    this.#entered.delete(name);
    const feed = this.#feeds.get(name);
    this.#feeds.delete(name);
    if (feed) await this.#release(feed, !this.#options.client);
  }

  publish(message: TransportPublish): Promise<void> {
    // Not `async`: this runs for every message, and the ack reaches core on the turn Ably
    // settles it (a synchronous throw before anything reached Ably is core's to catch).
    const wire: Ably.Message = encodeData(message.data, message.ephemeral === true);
    wire.id = message.id;
    wire.name = message.event;
    const sent = this.#live().channels.get(message.channel).publish(wire);
    this.#saveRecoveryKey();
    // Ably holds a publish across a resumed connection and settles it then; it fails it only
    // when the connection is suspended or lost (80xxx → retryable: core sends it again, with
    // the same id, which Ably's idempotent publishing delivers once).
    return sent.then(
      () => {},
      (error: unknown) => {
        throw publishError(error, message.channel, message.event);
      },
    );
  }

  presenceEnter(channel: string, data: unknown): Promise<void> {
    // Core re-enters after every reconnect. Ably keeps (or re-enters by itself, RTP17) the
    // members this client entered, so entering again with the same data would only show
    // others a needless update.
    return this.#entered.get(channel) === JSON.stringify(encodePresence(data))
      ? Promise.resolve()
      : this.#presence(channel, data, 'enter');
  }

  presenceUpdate(channel: string, data: unknown): Promise<void> {
    return this.#presence(channel, data, 'update');
  }

  presenceLeave(channel: string): Promise<void> {
    this.#entered.delete(channel);
    return this.#on(channel, 'leave presence', (ably) => ably.presence.leave());
  }

  history(channel: string, options: TransportHistoryOptions): Promise<TransportMessage[]> {
    // Ably's cursor is its serial, not Patchbay's seq, so `afterSeq` cannot be honoured here.
    return this.#on(channel, 'read history', async (ably) =>
      (await ably.history({ direction: 'backwards', limit: options.limit ?? 100 })).items
        .reverse()
        .map((message) => toTransportMessage(channel, message)),
    );
  }

  /** Enter or update, remembering the data entered (see `presenceEnter`). */
  async #presence(channel: string, data: unknown, action: 'enter' | 'update'): Promise<void> {
    const encoded = encodePresence(data);
    await this.#on(channel, `${action} presence`, (ably) => ably.presence[action](encoded));
    this.#entered.set(channel, JSON.stringify(encoded));
  }

  /** Run a channel operation, mapping Ably's refusal to a Patchbay error. */
  #on<TResult>(
    channel: string,
    action: string,
    run: (ably: Ably.RealtimeChannel) => Promise<TResult>,
  ): Promise<TResult> {
    return run(this.#live().channels.get(channel)).catch((error: unknown) => {
      throw channelError(error, channel, action);
    });
  }

  /** Stop listening on a channel and detach it (and free it, when the client is Patchbay's). */
  async #release(feed: ChannelFeed, free: boolean): Promise<void> {
    this.#unlisten(feed);
    await feed.channel.detach().catch(() => {});
    // ably-js refuses to release a channel that is still attached (the detach failed); a channel
    // left in its map is harmless: the next subscribe reuses it.
    if (free)
      try {
        this.#client?.channels.release(feed.name);
      } catch {}
  }

  /** Remove only this feed's listeners: on a shared client the app may listen to the channel too. */
  #unlisten({ channel, onAttach, onMessage, onPresence }: ChannelFeed): void {
    channel.off(onAttach);
    channel.unsubscribe(onMessage);
    channel.presence.unsubscribe(onPresence);
  }

  /** Keep the stored recovery key current (coalesced: one write per burst of messages). */
  #saveRecoveryKey(): void {
    const { recover } = this.#options;
    if (!recover || this.#saving || this.#options.client) return;
    this.#saving = true;
    queueMicrotask(() => {
      this.#saving = false;
      const key = this.#client?.connection.createRecoveryKey();
      if (key) recover.storage.setItem(recover.key ?? RECOVERY_KEY, key);
    });
  }

  #live(): Ably.RealtimeClient {
    // Core calls operations only while connected; ably-js queues them across a blip by itself.
    if (!this.#client) throw lostError('not connected');
    return this.#client;
  }
}
