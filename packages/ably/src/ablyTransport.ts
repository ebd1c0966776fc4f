import {
  ConfigError,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportHistoryOptions,
  type TransportMessage,
  type TransportPublish,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core';
import type * as Ably from 'ably';
import * as DefaultAbly from 'ably';
import { AblyLink } from './internal/ablyLink.js';
import { encodeData, encodePresence, toTransportMessage } from './internal/codec.js';
import { channelError, connectError, lostError, publishError } from './internal/errors.js';

/** The part of the `ably` module the transport uses, so a specific build can be injected. */
export interface AblyModule {
  Realtime: new (options: Ably.ClientOptions) => Ably.Realtime;
}

export interface AblyTransportOptions {
  /**
   * Ably client options: credentials (`key`, `authUrl`, `authCallback`…) and where to connect
   * (`endpoint`, `port`, `tls`…). Patchbay overrides what it owns: `autoConnect`, the retry
   * timeouts, `clientId` and `echoMessages` (from `createRealtime`), and the auth callback when
   * the app gives `createRealtime` an `auth()`.
   */
  clientOptions?: Ably.ClientOptions;
  /** Inject the `ably` module (or any object with its `Realtime`). Default: the installed peer. */
  ably?: AblyModule;
  /** Ably's message size limit for your account. Default 65 536 bytes (Ably's default). */
  maxMessageBytes?: number;
  /** History pages (100 messages each) read to recover a channel after a reconnect. Default 10. */
  maxRecoveryPages?: number;
}

/**
 * The Ably transport. Each core `connect()` is exactly one attempt on a fresh `Ably.Realtime`
 * (`autoConnect: false`, Ably's own retries disabled), so attempts, backoff and state are
 * Patchbay's on every provider. Publishes resolve on Ably's ACK and reject on NACK; presence is
 * Ably's (with native update); after a reconnect each channel replays what it missed from Ably
 * history up to the new attach point, or reports a discontinuity when history no longer reaches.
 *
 * ```ts
 * createRealtime({ transport: ablyTransport({ clientOptions: { authUrl: '/api/ably-token' } }) });
 * ```
 */
export function ablyTransport(options: AblyTransportOptions = {}): Transport {
  if (options.ably !== undefined && typeof options.ably?.Realtime !== 'function') {
    throw new ConfigError(
      'ablyTransport: "ably" must be the ably module (import * as Ably from "ably") or an object with its Realtime constructor.',
    );
  }
  return new AblyTransport(options);
}

class AblyTransport implements Transport {
  readonly provider = 'ably';
  readonly capabilities: TransportCapabilities;
  readonly #options: AblyTransportOptions;
  #link: AblyLink | undefined;
  /** Per-channel cursors survive reconnects: they are what recovery reads from. */
  readonly #cursors = new Map<string, { seq: number; serial: string }>();

  constructor(options: AblyTransportOptions) {
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
    const module = this.#options.ably ?? (DefaultAbly as unknown as AblyModule);
    let link: AblyLink;
    try {
      link = new AblyLink(module, this.#options, request, this.#cursors);
    } catch (error) {
      // ably-js validates options in its constructor (e.g. 40106, no credentials): not retryable.
      throw new ConfigError(
        `ablyTransport: Ably rejected the client options: ${error instanceof Error ? error.message : String(error)}. Give it credentials (key, authUrl or authCallback, or an auth() in createRealtime) and do not combine endpoint with realtimeHost/restHost/environment.`,
        { cause: error },
      );
    }
    this.#link = link;
    try {
      return await link.open();
    } catch (error) {
      if (this.#link === link) this.#link = undefined;
      throw connectError(error, link.where);
    }
  }

  disconnect(): void {
    const link = this.#link;
    this.#link = undefined;
    link?.close(lostError('the connection was closed'));
  }

  subscribe(
    channel: string,
    options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    return this.#live().attach(channel, options.resumeFrom, this.#options.maxRecoveryPages ?? 10);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#cursors.delete(channel);
    await this.#live().detach(channel);
  }

  publish(message: TransportPublish): Promise<void> {
    // Not `async`, and one promise between ably-js and core: this runs for every message, and the
    // ack reaches core on the same microtask turn ably-js settles it.
    const link = this.#link;
    if (!link?.connected) return Promise.reject(lostError('not connected'));
    let sent: Promise<void>;
    try {
      const wire: Ably.Message = encodeData(message.data, message.ephemeral === true);
      wire.id = message.id;
      wire.name = message.event;
      // Ably resolves with a PublishResult (serials) core has no use for: it waits for the ack only.
      sent = link.channel(message.channel).publish(wire) as Promise<unknown> as Promise<void>;
    } catch (error) {
      // Thrown before anything reached Ably: core sees it as it was thrown.
      return Promise.reject(error);
    }
    return link.track(sent, (error) => publishError(error, message.channel, message.event));
  }

  presenceEnter(channel: string, data: unknown): Promise<void> {
    return this.#presence(channel, 'enter', (p) => p.enter(encodePresence(data)));
  }

  presenceUpdate(channel: string, data: unknown): Promise<void> {
    return this.#presence(channel, 'update presence', (p) => p.update(encodePresence(data)));
  }

  presenceLeave(channel: string): Promise<void> {
    return this.#presence(channel, 'leave presence', (p) => p.leave());
  }

  async history(channel: string, options: TransportHistoryOptions): Promise<TransportMessage[]> {
    const link = this.#live();
    const page = await link
      .track(link.channel(channel).history({ direction: 'backwards', limit: options.limit ?? 100 }))
      .catch((error: unknown) => {
        throw channelError(error, channel, 'read history');
      });
    // Ably's cursor is its serial, not Patchbay's seq, so `afterSeq` cannot be honoured here.
    return page.items.reverse().map((message) => toTransportMessage(channel, message));
  }

  async #presence(
    channel: string,
    action: string,
    run: (presence: Ably.RealtimePresence) => Promise<void>,
  ): Promise<void> {
    const link = this.#live();
    await link.track(run(link.channel(channel).presence)).catch((error: unknown) => {
      throw channelError(error, channel, action);
    });
  }

  #live(): AblyLink {
    const link = this.#link;
    if (!link?.connected) throw lostError('not connected');
    return link;
  }
}
