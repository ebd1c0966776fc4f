import { ErrorCodes } from '@patchbay/realtime-core';
import type { TransportMessage } from '@patchbay/realtime-core/transport';
import type { BrokerEvent } from './broker.js';
import { messageFrame, type OutboundFrame } from './frames.js';
import type { Hub } from './hub.js';
import { HubError } from './hubError.js';
import type { HubSession } from './hubSession.js';

/** One channel as a session delivers it. */
interface ChannelFeed {
  /** Live events held while history is read (subscribe, resync). */
  buffer: BrokerEvent[] | undefined;
  /** The highest sequence number sent (or replayed) on this connection. */
  sentTo: number;
  /** The epoch `sentTo` belongs to. */
  epoch: string | undefined;
  /** Joined to the link's shared delivery (`SessionLink.rooms`): live messages come from there. */
  inRoom: boolean;
}

/**
 * The channels one session receives: subscribing (replay from a position, or a resync after the
 * sequence restarted), live delivery in sequence order, and the session's place in each channel's
 * room. Every frame to the client goes out through here.
 */
export class ChannelFeeds {
  readonly #hub: Hub;
  readonly #session: HubSession;
  /** Runs a task after the session's queued requests (a resync waits its turn like a subscribe). */
  readonly #enqueue: (task: () => Promise<void>) => void;
  /** Channels this connection receives; a channel mid-replay buffers live events. */
  readonly #channels = new Map<string, ChannelFeed>();

  constructor(hub: Hub, session: HubSession, enqueue: (task: () => Promise<void>) => void) {
    this.#hub = hub;
    this.#session = session;
    this.#enqueue = enqueue;
  }

  /** Stop receiving `channel` (unsubscribe). */
  remove(channel: string): void {
    this.#leaveRoom(channel);
    this.#channels.delete(channel);
    this.#hub.leave(this.#session, channel);
  }

  /** Stop receiving every channel (the session closes). */
  removeAll(): void {
    for (const channel of this.#channels.keys()) {
      this.#leaveRoom(channel);
      this.#hub.leave(this.#session, channel);
    }
    this.#channels.clear();
  }

  /** Leave every room: live messages then come one by one through `deliver` (blackholing). */
  leaveRooms(): void {
    for (const channel of this.#channels.keys()) this.#leaveRoom(channel);
  }

  /**
   * Receive `channel` from `resumeFrom` (in `epoch`) on: replay what the channel holds after it,
   * the presence members, then live events, in that order and each message once.
   */
  async subscribe(
    channel: string,
    resumeFrom: number | undefined,
    epoch: string | undefined,
  ): Promise<{ recovered: boolean; resynced?: true; seq: number; epoch: string }> {
    const hub = this.#hub;
    // Subscribed again on this connection (a client whose subscribe timed out during a long
    // replay retries it): what was already sent here is still on its way, in order, so the replay
    // starts after it rather than after the client's position, which lags behind it.
    // The connection leaves the channel's room meanwhile: it joins it again once the replay is
    // sent, so no live message overtakes the history it follows.
    this.#leaveRoom(channel);
    const previous = this.#channels.get(channel);
    if (
      resumeFrom !== undefined &&
      previous?.epoch !== undefined &&
      previous.epoch === (epoch ?? previous.epoch) &&
      previous.sentTo > resumeFrom
    ) {
      resumeFrom = previous.sentTo;
    }
    // Join first and buffer, so nothing published while history is read falls in between.
    const entry: ChannelFeed = { buffer: [], sentTo: 0, epoch: undefined, inRoom: false };
    this.#channels.set(channel, entry);
    hub.join(this.#session, channel);
    try {
      // A remote broker's subscription must be live before history is read.
      await hub.broker.ready?.(channel);
    } catch (error) {
      if (this.#channels.get(channel) === entry) {
        this.#channels.delete(channel);
        hub.leave(this.#session, channel);
      }
      throw error;
    }
    let page = await hub.broker.history(
      channel,
      resumeFrom !== undefined ? { afterSeq: resumeFrom } : { limit: 0 },
    );
    let recovered = false;
    let resynced = false;
    if (resumeFrom !== undefined) {
      // Sequence numbers only compare within one epoch: after a restart on the memory broker, or
      // a Redis that lost its data, position 5 is not the old position 5. A position past the
      // channel's end is lost state too. Such a cursor gets a discontinuity and then everything
      // the channel holds now, so nothing stored since the restart is skipped.
      const stale = (epoch !== undefined && epoch !== page.epoch) || resumeFrom > page.seq;
      if (stale) {
        if (resumeFrom > 0) page = await hub.broker.history(channel, { afterSeq: 0 });
        resynced = true;
        if (this.#channels.get(channel) === entry) {
          this.#send({
            type: 'discontinuity',
            channel,
            reason: 'history-unavailable',
            epoch: page.epoch,
          });
        }
      } else {
        recovered =
          resumeFrom === page.seq ||
          (resumeFrom < page.seq &&
            page.oldestSeq !== undefined &&
            page.oldestSeq <= resumeFrom + 1);
      }
      if (recovered || resynced) {
        entry.epoch = page.epoch;
        for (const message of page.messages) {
          if (this.#channels.get(channel) !== entry) break;
          this.#sendMessage(message);
          entry.sentTo = message.seq;
          if ((this.#session.link.unsent?.() ?? 0) > this.#hub.maxBufferedBytes / 2)
            await this.#drain();
        }
      }
    }
    entry.sentTo = recovered ? Math.max(resumeFrom ?? 0, page.seq) : page.seq;
    entry.epoch = page.epoch;
    const reply = {
      recovered,
      ...(resynced ? { resynced: true as const } : {}),
      seq: page.seq,
      epoch: page.epoch,
    };
    const members = await hub.broker.presenceMembers(channel);
    if (this.#session.closed) {
      // The link went down mid-replay (a slow consumer cut, a drop): the client did not get what
      // `recovered` would promise. It resumes from its own position on the next connection.
      throw new HubError(
        ErrorCodes.ConnectionClosed,
        `The connection closed while "${channel}" was being subscribed; subscribe again after reconnecting.`,
        { retryable: true },
      );
    }
    if (this.#channels.get(channel) !== entry) return reply;
    this.#send({ type: 'presence', channel, event: { type: 'sync', members } });
    const buffered = entry.buffer ?? [];
    entry.buffer = undefined;
    for (const event of buffered) this.deliver(event);
    if (
      this.#session.link.rooms &&
      !this.#session.blackholed &&
      this.#channels.get(channel) === entry &&
      entry.buffer === undefined &&
      hub.enterRoom(this.#session, channel, entry.sentTo, entry.epoch)
    ) {
      this.#session.link.rooms.join(channel);
      entry.inRoom = true;
    }
    return reply;
  }

  /**
   * Wait until the link has taken most of what was sent, for at most the slow-consumer grace: a
   * client that reads keeps up with the replay; one that does not is left to the endpoint's
   * slow-consumer check, which the writes that follow trigger.
   */
  async #drain(): Promise<void> {
    const limit = this.#hub.maxBufferedBytes / 2;
    const deadline = Date.now() + this.#hub.slowConsumerGraceMs;
    while (
      !this.#session.closed &&
      (this.#session.link.unsent?.() ?? 0) > limit &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * A broker event for a channel this session joined, while it is not in the channel's room (in a
   * room, the hub broadcasts live messages to it; presence still comes here).
   */
  deliver(event: BrokerEvent): void {
    const channel = event.kind === 'message' ? event.message.channel : event.channel;
    const entry = this.#channels.get(channel);
    if (!entry) return;
    if (entry.buffer) {
      entry.buffer.push(event);
      return;
    }
    if (event.kind === 'presence') {
      this.#send({ type: 'presence', channel, event: event.event });
      return;
    }
    if (entry.inRoom) return;
    const { message } = event;
    if (message.seq !== undefined) {
      if (event.epoch !== undefined && entry.epoch !== undefined && event.epoch !== entry.epoch) {
        this.resync(channel);
        return;
      }
      // Replay (or an earlier delivery) already sent everything up to sentTo.
      if (message.seq <= entry.sentTo) return;
      entry.sentTo = message.seq;
    }
    if (message.connectionId === this.#session.id && message.ephemeral) return;
    this.#sendMessage(message);
  }

  #leaveRoom(channel: string): void {
    const entry = this.#channels.get(channel);
    if (!entry?.inRoom) return;
    entry.inRoom = false;
    // What the room delivered meanwhile counts as sent.
    entry.sentTo = Math.max(entry.sentTo, this.#hub.exitRoom(this.#session, channel));
    this.#session.link.rooms?.leave(channel);
  }

  /**
   * The channel's sequence restarted under a live subscription (Redis lost its data): subscribe
   * again from this connection's position, which signals the discontinuity and sends what the new
   * epoch holds. Live events wait meanwhile (history covers them). If history cannot be read, the
   * link is cut: the client reconnects and resumes from its own position.
   */
  resync(channel: string): void {
    const entry = this.#channels.get(channel);
    if (!entry || entry.buffer) return;
    this.#leaveRoom(channel);
    entry.buffer = [];
    const { sentTo, epoch } = entry;
    this.#enqueue(async () => {
      if (this.#session.closed || this.#channels.get(channel) !== entry) return;
      try {
        await this.subscribe(channel, sentTo, epoch);
      } catch {
        this.#session.link.terminate();
      }
    });
  }

  #sendMessage(message: TransportMessage): void {
    if (!this.#session.echo && message.connectionId === this.#session.id) return;
    this.#send(messageFrame(message));
  }

  #send(frame: OutboundFrame): void {
    if (this.#session.closed || this.#session.blackholed) return;
    this.#session.link.send(frame);
  }
}
