import type { WebSocket } from 'ws';

/** One live WebSocket connection as the emulator sees it. */
export interface EmulatorSocket {
  readonly id: string;
  readonly ws: WebSocket;
  /** Channels this socket is subscribed to, with the presence user_id where there is one. */
  readonly channels: Map<string, { userId?: string }>;
  /** Set by a successful `pusher:signin`. */
  userId?: string;
  /** Fault injection: frames to and from this socket are dropped, the TCP link stays open. */
  blackholed: boolean;
  lastActivity: number;
  /** Client-event token bucket (Pusher's per-connection rate limit): tokens left, refilled at. */
  clientEventTokens?: { tokens: number; at: number };
}

export interface PresenceMember {
  info: unknown;
  sockets: Set<EmulatorSocket>;
}

interface ChannelState {
  sockets: Set<EmulatorSocket>;
  /** Presence channels only: one member per user_id, however many sockets it has. */
  members: Map<string, PresenceMember>;
}

/** A frame as Pusher puts it on the wire; `data` is a JSON string for everything it sends. */
export interface PusherFrame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
}

/** Channels, sockets and presence for one emulated app. Pure bookkeeping plus fan-out. */
export class PusherAppState {
  readonly sockets = new Map<string, EmulatorSocket>();
  readonly #channels = new Map<string, ChannelState>();

  send(socket: EmulatorSocket, frame: PusherFrame): void {
    if (socket.blackholed || socket.ws.readyState !== socket.ws.OPEN) return;
    socket.ws.send(JSON.stringify(frame));
  }

  /** Deliver to every subscriber of `channel` except `except` (Pusher's `socket_id` exclusion). */
  broadcast(channel: string, frame: PusherFrame, except?: EmulatorSocket): number {
    const state = this.#channels.get(channel);
    if (!state) return 0;
    let sent = 0;
    for (const socket of state.sockets) {
      if (socket === except) continue;
      this.send(socket, frame);
      sent++;
    }
    return sent;
  }

  isSubscribed(socket: EmulatorSocket, channel: string): boolean {
    return socket.channels.has(channel);
  }

  /** Subscribe; for presence channels returns the member hash to send in subscription_succeeded. */
  subscribe(
    socket: EmulatorSocket,
    channel: string,
    presence?: { userId: string; info: unknown },
  ): void {
    let state = this.#channels.get(channel);
    if (!state) {
      state = { sockets: new Set(), members: new Map() };
      this.#channels.set(channel, state);
    }
    state.sockets.add(socket);
    socket.channels.set(channel, presence ? { userId: presence.userId } : {});
    if (!presence) return;
    const existing = state.members.get(presence.userId);
    if (existing) {
      existing.sockets.add(socket);
      return;
    }
    state.members.set(presence.userId, { info: presence.info, sockets: new Set([socket]) });
    this.broadcast(
      channel,
      {
        event: 'pusher_internal:member_added',
        channel,
        data: JSON.stringify({ user_id: presence.userId, user_info: presence.info }),
      },
      socket,
    );
  }

  unsubscribe(socket: EmulatorSocket, channel: string): void {
    const entry = socket.channels.get(channel);
    socket.channels.delete(channel);
    const state = this.#channels.get(channel);
    if (!entry || !state) return;
    state.sockets.delete(socket);
    if (entry.userId !== undefined) {
      const member = state.members.get(entry.userId);
      member?.sockets.delete(socket);
      if (member && member.sockets.size === 0) {
        // Only the user's last socket leaving removes the member (several tabs are one member).
        state.members.delete(entry.userId);
        this.broadcast(channel, {
          event: 'pusher_internal:member_removed',
          channel,
          data: JSON.stringify({ user_id: entry.userId }),
        });
      }
    }
    if (state.sockets.size === 0) this.#channels.delete(channel);
  }

  /** Forget a closed socket: leave every channel it was in. */
  remove(socket: EmulatorSocket): void {
    for (const channel of [...socket.channels.keys()]) this.unsubscribe(socket, channel);
    this.sockets.delete(socket.id);
  }

  presenceHash(channel: string): { ids: string[]; hash: Record<string, unknown>; count: number } {
    const members = this.#channels.get(channel)?.members ?? new Map<string, PresenceMember>();
    const hash: Record<string, unknown> = {};
    for (const [id, member] of members) hash[id] = member.info;
    return { ids: [...members.keys()], hash, count: members.size };
  }

  subscriptionCount(channel: string): number {
    return this.#channels.get(channel)?.sockets.size ?? 0;
  }

  userCount(channel: string): number {
    return this.#channels.get(channel)?.members.size ?? 0;
  }

  userIds(channel: string): string[] {
    return [...(this.#channels.get(channel)?.members.keys() ?? [])];
  }

  /** Occupied channels (at least one subscriber), as Pusher lists them. */
  channelNames(): string[] {
    return [...this.#channels.keys()];
  }

  presenceUserIdOf(socket: EmulatorSocket, channel: string): string | undefined {
    return socket.channels.get(channel)?.userId;
  }
}
