import { ErrorCodes, type RealtimeError } from '@patchbay/realtime-core';
import type PusherClient from 'pusher-js';
import { CLIENT_EVENT, MESSAGE_PREFIX, PRESENCE_PREFIX, type PusherEnvelope } from './envelope.js';
import type { PusherChannels } from './pusherChannels.js';

/** The client events of one portable channel, in send order. */
interface Lane {
  /** Signals (typing, presence updates) only ever go on the presence channel. */
  queue: Array<{ envelope: PusherEnvelope; signal: boolean }>;
  /** Where this channel's messages go: presence (Pusher stamps the sender) or, refused, private. */
  route: string | undefined;
  /** Waiting for a subscription or the rate limit; whatever it waits for pumps again. */
  busy: boolean;
}

/**
 * Client events, sent in order per channel once their Pusher channel is subscribed and within
 * Pusher's rate limit. The pusher-js client outlives link drops, so what waits here while the link
 * is down goes out, in order, once pusher-js has subscribed again: nothing carries over by hand.
 * No ack exists: a refused route drops what waited (at most once, `publishAck: false`).
 */
export class ClientEventLanes {
  readonly #pusher: PusherClient;
  readonly #channels: PusherChannels;
  readonly #perSecond: number;
  /**
   * Send times of the last `perSecond` client events. Pusher rejects events over its limit (4301,
   * lost), so at most `perSecond` go out in any 1.1 s: the extra 100 ms absorbs network jitter.
   */
  readonly #sent: number[] = [];
  readonly #lanes = new Map<string, Lane>();
  /** One per lane waiting on the rate limit. */
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(pusher: PusherClient, channels: PusherChannels, perSecond: number) {
    this.#pusher = pusher;
    this.#channels = channels;
    this.#perSecond = perSecond;
  }

  send(channel: string, envelope: PusherEnvelope, signal: boolean): void {
    let lane = this.#lanes.get(channel);
    if (!lane) {
      lane = { queue: [], route: undefined, busy: false };
      this.#lanes.set(channel, lane);
    }
    if (signal) {
      // A signal states what is true now (typing or not, current data, a request for it): a
      // newer one replaces an unsent one of its kind, so a lane waiting on the rate limit or a
      // reconnect holds at most one of each instead of growing.
      const kind = signalKind(envelope);
      const stale = lane.queue.findIndex(
        (item) => item.signal && signalKind(item.envelope) === kind,
      );
      if (stale >= 0) lane.queue.splice(stale, 1);
    }
    lane.queue.push({ envelope, signal });
    this.#pump(channel, lane);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#lanes.clear();
  }

  #pump(channel: string, lane: Lane): void {
    while (!lane.busy && !this.#closed && lane.queue.length > 0) {
      const head = lane.queue[0] as Lane['queue'][number];
      const presence = PRESENCE_PREFIX + channel;
      const target = head.signal ? presence : (lane.route ?? presence);
      if (!this.#channels.isJoined(target)) {
        // A signal needs someone on the presence channel to mean anything: never join for it.
        const wish = this.#channels.presence.get(channel);
        if (head.signal && !wish?.watched && wish?.data === undefined) {
          lane.queue.shift();
          continue;
        }
        if (!head.signal && target === presence) this.#channels.wish(channel).watched = true;
        this.#wait(channel, lane, target, head.signal);
        return;
      }
      const oldest = this.#sent.length < this.#perSecond ? 0 : (this.#sent[0] as number);
      const delay = oldest + 1_100 - Date.now();
      if (delay > 0) {
        lane.busy = true;
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          lane.busy = false;
          this.#pump(channel, lane);
        }, delay);
        this.#timers.add(timer);
        return;
      }
      this.#sent.push(Date.now());
      if (this.#sent.length > this.#perSecond) this.#sent.shift();
      lane.queue.shift();
      if (!head.signal) lane.route = target;
      this.#pusher.channel(target).trigger(CLIENT_EVENT, head.envelope);
    }
  }

  #wait(channel: string, lane: Lane, target: string, signal: boolean): void {
    lane.busy = true;
    const joined = target.startsWith(PRESENCE_PREFIX)
      ? this.#channels.syncPresence(channel)
      : this.#channels.join(target);
    joined.then(
      () => {
        lane.busy = false;
        this.#pump(channel, lane);
      },
      (error: RealtimeError) => {
        lane.busy = false;
        if (error.code !== ErrorCodes.ConnectionLost) {
          // Refused: messages fall back to private (no verified sender), then nowhere.
          if (signal) lane.queue.shift();
          else if (target === MESSAGE_PREFIX + channel) lane.queue.length = 0;
          else lane.route = MESSAGE_PREFIX + channel;
        }
        this.#pump(channel, lane);
      },
    );
  }
}

/** Typing, a presence-update request, or presence data: the event and, for updates, which. */
function signalKind(envelope: PusherEnvelope): string {
  const body = envelope.data as { request?: unknown } | null;
  return `${envelope.event}${body !== null && typeof body === 'object' && 'request' in body ? ':request' : ''}`;
}
