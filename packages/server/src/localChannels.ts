import type { Broker, BrokerEvent } from './broker.js';
import { type MessageFrame, messageFrame } from './frames.js';
import type { RoomDelivery } from './hub.js';
import type { HubSession } from './hubSession.js';

/** A channel's room on one endpoint: the connections that take its live messages from there. */
interface ChannelRoom {
  members: Set<HubSession>;
  /**
   * Members whose replay went past the channel's position when they joined, with their own
   * position: a message up to it is not theirs. A member leaves this map once the channel passed it.
   */
  ahead: Map<HubSession, number>;
}

interface LocalChannel {
  /** Every session joined to the channel. */
  sessions: Set<HubSession>;
  /** The sessions not in a room: each event goes through their `deliver`. */
  direct: Set<HubSession>;
  rooms: Map<RoomDelivery, ChannelRoom>;
  /**
   * The highest sequence number fanned out, and its epoch. A room member has everything up to
   * `seq` (or to its own position, if ahead): the room needs no per-member bookkeeping per message.
   */
  seq: number;
  epoch: string | undefined;
  unsubscribe: () => void;
}

/**
 * The channels that have subscribers in this process: one broker subscription each, fanned out
 * to the channel's sessions — one by one to those outside a room, by one broadcast per endpoint
 * to a room's members.
 */
export class LocalChannels {
  readonly #broker: Broker;
  /** The hub's open sessions by id (to find a message's publisher). */
  readonly #sessions: ReadonlyMap<string, HubSession>;
  readonly #channels = new Map<string, LocalChannel>();

  constructor(broker: Broker, sessions: ReadonlyMap<string, HubSession>) {
    this.#broker = broker;
    this.#sessions = sessions;
  }

  get size(): number {
    return this.#channels.size;
  }

  names(): IterableIterator<string> {
    return this.#channels.keys();
  }

  /** Connections subscribed to a channel in this process. */
  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.sessions.size ?? 0;
  }

  /** The session receives `channel`'s events through `deliver` (not in a room yet). */
  join(session: HubSession, channel: string): void {
    let local = this.#channels.get(channel);
    if (!local) {
      const unsubscribe = this.#broker.subscribe(channel, (event) => this.#fanOut(channel, event));
      local = {
        sessions: new Set(),
        direct: new Set(),
        rooms: new Map(),
        seq: 0,
        epoch: undefined,
        unsubscribe,
      };
      this.#channels.set(channel, local);
    }
    local.sessions.add(session);
    local.direct.add(session);
  }

  leave(session: HubSession, channel: string): void {
    const local = this.#channels.get(channel);
    if (!local) return;
    local.sessions.delete(session);
    local.direct.delete(session);
    for (const room of local.rooms.values()) {
      room.members.delete(session);
      room.ahead.delete(session);
    }
    if (local.sessions.size === 0) {
      local.unsubscribe();
      this.#channels.delete(channel);
    }
  }

  /**
   * The session has everything of `channel` up to `sentTo` in `epoch` and joins its
   * link's room: live messages reach it through the endpoint's broadcast from now on. Refused
   * (false) when the room's members are on another epoch (they resync on the next message).
   */
  enterRoom(
    session: HubSession,
    channel: string,
    sentTo: number,
    epoch: string | undefined,
  ): boolean {
    const local = this.#channels.get(channel);
    const delivery = session.link.rooms?.delivery;
    if (!local || !delivery || !local.sessions.has(session)) return false;
    if (epoch !== local.epoch) {
      for (const room of local.rooms.values()) if (room.members.size > 0) return false;
      local.epoch = epoch;
      local.seq = sentTo;
    }
    let room = local.rooms.get(delivery);
    if (!room) {
      room = { members: new Set(), ahead: new Map() };
      local.rooms.set(delivery, room);
    }
    room.members.add(session);
    local.direct.delete(session);
    if (sentTo > local.seq) room.ahead.set(session, sentTo);
    return true;
  }

  /** The session leaves `channel`'s room; returns the position it reached there. */
  exitRoom(session: HubSession, channel: string): number {
    const local = this.#channels.get(channel);
    const room = local && session.link.rooms && local.rooms.get(session.link.rooms.delivery);
    if (!local || !room?.members.delete(session)) return 0;
    const ahead = room.ahead.get(session) ?? 0;
    room.ahead.delete(session);
    if (local.sessions.has(session)) local.direct.add(session);
    return Math.max(ahead, local.seq);
  }

  #fanOut(channel: string, event: BrokerEvent): void {
    const local = this.#channels.get(channel);
    if (!local) return;
    if (event.kind === 'presence') {
      for (const session of local.sessions) session.deliver(event);
      return;
    }
    // Sessions outside a room decide one by one (replay order, duplicates, echo). A room's
    // members share the channel's position, so a message takes one broadcast per endpoint with
    // the few members that must not get it left out — no per-member work per message (deciding
    // per member was 2 % of the hub's busy time in the Socket.IO fan-out bench: 1 000 sessions
    // touched per message).
    for (const session of local.direct) session.deliver(event);
    const { message } = event;
    if (message.seq !== undefined) {
      if (event.epoch !== undefined && local.epoch !== undefined && event.epoch !== local.epoch) {
        // The channel's sequence restarted: every member resyncs from its own position.
        for (const room of local.rooms.values()) {
          for (const session of room.members) session.resync(channel);
        }
        local.epoch = event.epoch;
        local.seq = message.seq;
        return;
      }
      local.epoch ??= event.epoch;
      if (message.seq <= local.seq) return;
      local.seq = message.seq;
    }
    let frame: MessageFrame | undefined;
    for (const [delivery, room] of local.rooms) {
      if (room.members.size === 0) continue;
      const except: string[] = [];
      if (message.seq !== undefined) {
        for (const [session, sentTo] of room.ahead) {
          if (message.seq <= sentTo) except.push(session.id);
          else room.ahead.delete(session);
        }
      }
      const publisher =
        message.connectionId === undefined ? undefined : this.#sessions.get(message.connectionId);
      if (
        publisher &&
        room.members.has(publisher) &&
        (message.ephemeral || !publisher.echo) &&
        !except.includes(publisher.id)
      ) {
        except.push(publisher.id);
      }
      if (except.length === room.members.size) continue;
      frame ??= messageFrame(event.message);
      delivery.broadcast(frame, except);
    }
  }

  /** Release every broker subscription. */
  close(): void {
    for (const channel of this.#channels.values()) channel.unsubscribe();
    this.#channels.clear();
  }
}
