import type { PresenceEvent, PresenceSet } from '../presenceSet.js';
import type { Timers } from '../timers.js';
import type { TransportPresenceEvent, TransportPresenceMember } from '../transport/types.js';

type LeaveEvent = Extract<TransportPresenceEvent, { type: 'leave' }>;

/**
 * Leaves held for the grace period by connectionId, where the provider reports a dropped link at
 * once (`presenceGrace: false`): a member whose link returns within the grace never leaves. Feeds
 * the channel's `PresenceSet` and hands every member-level event it causes to `emit`.
 */
export class HeldLeaves {
  readonly #held = new Map<string, { event: LeaveEvent; timer: unknown }>();
  readonly #timers: Timers;
  readonly #set: PresenceSet;
  readonly #emit: (events: PresenceEvent[]) => void;

  constructor(timers: Timers, set: PresenceSet, emit: (events: PresenceEvent[]) => void) {
    this.#timers = timers;
    this.#set = set;
    this.#emit = emit;
  }

  /** Drop every held leave without showing it (the channel detached). */
  clear(): void {
    for (const { timer } of this.#held.values()) this.#timers.clearTimeout(timer);
    this.#held.clear();
  }

  /**
   * Apply a provider event, holding leaves that may be a blip (`grace` 0: none is held, and
   * with nothing held and no `keepData` this is `PresenceSet.apply`). `keepData`: the
   * provider has no presence update, so its member lists carry enter-time data; a connection this
   * client already knows keeps the newer data it learned from emulated updates.
   */
  receive(event: TransportPresenceEvent, grace: number, keepData: boolean): void {
    if (event.type === 'leave') {
      const { clientId, connectionId } = event.member;
      const held = this.#held.get(connectionId);
      if (event.deliberate || grace === 0) {
        if (held) this.#release(connectionId);
      } else if (held || !this.#set.has(clientId, connectionId)) {
        return;
      } else {
        this.#hold(event, grace);
        return;
      }
      this.#emit(this.#set.apply(event));
      return;
    }
    const seen = event.type === 'sync' ? event.members : [event.member];
    const back = new Set(seen.map((member) => member.clientId));
    // A held member is back: its old connection goes quietly (it is replaced, not left).
    const replaced: LeaveEvent[] = [];
    for (const [connectionId, { event: leave }] of this.#held) {
      const { clientId } = leave.member;
      if (!back.has(clientId)) continue;
      this.#release(connectionId);
      if (!seen.some((m) => m.clientId === clientId && m.connectionId === connectionId)) {
        replaced.push(leave);
      }
    }
    if (event.type !== 'sync') {
      this.#emit(this.#set.apply(event));
      for (const leave of replaced) this.#emit(this.#set.apply(leave));
      return;
    }
    const known = new Map(
      this.#set.connections().map((member) => [member.connectionId, member] as const),
    );
    const members: TransportPresenceMember[] = event.members.map((member) => {
      const previous = known.get(member.connectionId);
      return keepData && previous?.clientId === member.clientId
        ? { ...member, data: previous.data }
        : member;
    });
    if (grace > 0) {
      // Missing from the list but maybe only for a blip: kept until the grace ends. A member
      // listed on another connection is here: the missing one was replaced, not lost.
      const listed = new Set(event.members.map((member) => member.connectionId));
      for (const member of known.values()) {
        if (listed.has(member.connectionId) || back.has(member.clientId)) continue;
        members.push(member);
        if (!this.#held.has(member.connectionId)) this.#hold({ type: 'leave', member }, grace);
      }
    }
    this.#emit(this.#set.apply({ type: 'sync', members }));
  }

  #hold(event: LeaveEvent, grace: number): void {
    const { connectionId } = event.member;
    const timer = this.#timers.setTimeout(() => {
      if (this.#held.get(connectionId)?.timer !== timer) return;
      this.#held.delete(connectionId);
      this.#emit(this.#set.apply(event));
    }, grace);
    this.#held.set(connectionId, { event, timer });
  }

  #release(connectionId: string): void {
    const held = this.#held.get(connectionId);
    if (!held) return;
    this.#timers.clearTimeout(held.timer);
    this.#held.delete(connectionId);
  }
}
