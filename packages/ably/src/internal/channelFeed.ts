import {
  malformedFrameError,
  type TransportMessage,
  type TransportPresenceMember,
  type TransportSink,
} from '@patchbay/realtime-core/transport';
import type * as Ably from 'ably';
import { decodePresence, isEphemeral, toTransportMessage } from './codec.js';
import { channelError, isAuthError } from './errors.js';
import { type ChannelCursor, type Replay, replayMissed } from './replayMissed.js';

/** Pause before reading history again after a failed read, long enough to see the link drop. */
const HISTORY_RETRY_DELAY_MS = 200;

/** What a feed needs from the transport that owns it. */
export interface FeedHost {
  sink: TransportSink;
  maxPages: number;
  /** Ably's connection is up (a failed history read then is not the network's fault). */
  connected(): boolean;
  /** A message was delivered (the recovery key, when kept, moves on). */
  delivered(): void;
}

/**
 * One subscribed channel on the long-lived client: its listeners, its cursor, and whether the
 * stream is continuous with what was delivered. ably-js re-attaches channels by itself after
 * every reconnect; an `attached` or `update` change with `resumed: false` is Ably saying that
 * continuity was lost (messages may be missing). Only then is history read: live messages are
 * held from that moment until the gap is replayed, so delivery stays in order and the gap's
 * start (the cursor) cannot move past what was missed.
 */
export class ChannelFeed {
  readonly name: string;
  readonly channel: Ably.RealtimeChannel;
  readonly cursor: ChannelCursor;
  readonly #host: FeedHost;
  /** Live messages held back while a gap is open (continuity lost, not yet replayed). */
  #held: Ably.InboundMessage[] | undefined;
  #recovering: Promise<boolean> | undefined;
  /** Set once the first attach is done: later non-resumed attaches are gaps. */
  live = false;
  /** Core is re-attaching and reports the outcome itself (`recovered: false` → discontinuity). */
  awaited = false;
  /** A gap given up while core was re-attaching, not yet reported (see `takeUnreported`). */
  #unreported = false;

  constructor(name: string, channel: Ably.RealtimeChannel, cursor: ChannelCursor, host: FeedHost) {
    this.name = name;
    this.channel = channel;
    this.cursor = cursor;
    this.#host = host;
  }

  get gap(): boolean {
    return this.#held !== undefined;
  }

  /** Continuity is lost from the cursor on: hold live messages until `recover()`. */
  open(): void {
    this.#held ??= [];
  }

  readonly onMessage = (message: Ably.InboundMessage): void => {
    if (this.#held) this.#held.push(message);
    else this.#deliver(message);
  };

  readonly onPresence = (message: Ably.PresenceMessage): void => {
    this.#host.sink.presence(this.name, {
      type: message.action as 'enter' | 'update' | 'leave',
      member: member(message),
    });
  };

  readonly onAttach = (change: Ably.ChannelStateChange): void => {
    if (!this.live) return;
    // A resumed attach continues the stream from where it stood, which is still behind a gap
    // whose replay failed (the link or the channel went down during the read): replay it now.
    if (change.resumed && !this.gap) return;
    this.open();
    void this.#repair();
  };

  /**
   * Ably re-attached on its own: replay the open gap. A read that failed because the link or the
   * channel went down is left to the next attach, unless that attach already happened while the
   * read was failing (it joined the failing read): then read again now. A refused read (the
   * token may not read history) cannot succeed later: the channel goes live and reports the gap.
   */
  async #repair(): Promise<void> {
    while (this.gap) {
      try {
        await this.recover();
        return;
      } catch (error) {
        if (!this.gap || this.awaited) return; // core is re-attaching: it gets the error itself
        if (isAuthError(error)) {
          this.#host.sink.error?.(channelError(error, this.name, 'read history'));
          this.#goLive({ messages: [], complete: false });
          return;
        }
        if (!this.#host.connected() || this.channel.state !== 'attached') return;
      }
    }
  }

  /** Tell core who is here (Ably's own presence map, synced on attach). */
  async sync(): Promise<void> {
    const members = await this.channel.presence.get();
    this.#host.sink.presence(this.name, { type: 'sync', members: members.map(member) });
  }

  /**
   * Replay the open gap from history, then the held live messages (minus those history already
   * had). Resolves whether the replay was complete. Rejects, keeping the gap open, when the read
   * failed because the link or the channel is down (the next re-attach, resumed or not, replays
   * the same gap) or was refused.
   */
  recover(): Promise<boolean> {
    this.#recovering ??= this.#replay().finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  /**
   * Whether a gap was given up while core was re-attaching and is not reported yet: core reports
   * it (`recovered: false`). Reading it clears it.
   */
  takeUnreported(): boolean {
    const unreported = this.#unreported;
    this.#unreported = false;
    return unreported;
  }

  async #replay(): Promise<boolean> {
    if (!this.#held) return true;
    // The link is down (a cut resets the REST request too), or the channel is re-attaching
    // (`untilAttach` needs it attached): the gap stays open and the next attach replays it.
    const keepGap = (error: unknown) =>
      isAuthError(error) || !this.#host.connected() || this.channel.state !== 'attached';
    const read = () => replayMissed(this.channel, this.cursor.serial, this.#host.maxPages);
    let replay: Replay;
    try {
      replay = await read();
    } catch (error) {
      if (keepGap(error)) throw error;
      // A cut resets the REST request before the realtime link notices: look again shortly.
      await new Promise((resolve) => setTimeout(resolve, HISTORY_RETRY_DELAY_MS));
      try {
        replay = await read();
      } catch (again) {
        if (keepGap(again)) throw again;
        // Unreadable while attached (a REST outage): go live and report the gap instead of
        // keeping the channel waiting.
        replay = { messages: [], complete: false };
      }
    }
    this.#goLive(replay);
    return replay.complete;
  }

  /**
   * Close the gap: deliver the replay when it is complete, then the held live messages (minus
   * those the replay had). An incomplete replay is reported once: by core when it is
   * re-attaching (it reads `recovered`), otherwise here.
   */
  #goLive(replay: Replay): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (replay.complete) for (const message of replay.messages) this.#deliver(message);
    // Given up: the position moves to the attach point, so the gap is not reported twice.
    else this.cursor.serial = replay.messages.at(-1)?.serial ?? this.cursor.serial;
    const replayed = new Set(replay.messages.map((message) => message.id));
    for (const message of held) if (!replayed.has(message.id)) this.#deliver(message);
    if (replay.complete) return;
    if (this.awaited) this.#unreported = true;
    else this.#host.sink.discontinuity(this.name, 'history-unavailable');
  }

  #deliver(message: Ably.InboundMessage): void {
    let seq: number | undefined;
    if (!isEphemeral(message)) {
      seq = ++this.cursor.seq;
      if (message.serial) this.cursor.serial = message.serial;
    }
    const { sink } = this.#host;
    let converted: TransportMessage;
    try {
      converted = toTransportMessage(this.name, message, seq);
    } catch {
      // Marked as JSON but not JSON: dropped (its position still counts, so it is never replayed).
      sink.error?.(malformedFrameError('Ably', 'message', message.data));
      return;
    }
    sink.message(converted);
    this.#host.delivered();
  }
}

const member = (m: Ably.PresenceMessage): TransportPresenceMember => ({
  clientId: m.clientId ?? '',
  connectionId: m.connectionId ?? m.clientId ?? '',
  data: decodePresence(m.data),
});
