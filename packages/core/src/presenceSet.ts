import type { TransportPresenceEvent, TransportPresenceMember } from './transport/types.js';

/** One user on a channel, however many connections (tabs, devices) they have there. */
export interface PresenceMember<TData = unknown> {
  clientId: string;
  data: TData;
  /** How many of this user's connections are present. */
  connections: number;
}

export type PresenceEvent<TData = unknown> =
  | { type: 'enter' | 'update' | 'leave'; member: PresenceMember<TData> }
  | { type: 'sync'; members: readonly PresenceMember<TData>[] };

interface MemberState {
  clientId: string;
  data: unknown;
  connections: Map<string, unknown>;
}

/**
 * The members of one channel keyed by clientId. Provider events are per connection; this folds
 * them so that a second tab is not a second member, a tab closing while another stays is not a
 * leave, and a data change is an `update` — never a leave followed by an enter.
 */
export class PresenceSet {
  readonly #members = new Map<string, MemberState>();
  #snapshot: readonly PresenceMember[] = [];

  get members(): readonly PresenceMember[] {
    return this.#snapshot;
  }

  /** Every present connection with its data (one entry per connection, not per member). */
  connections(): TransportPresenceMember[] {
    const out: TransportPresenceMember[] = [];
    for (const state of this.#members.values()) {
      for (const [connectionId, data] of state.connections) {
        out.push({ clientId: state.clientId, connectionId, data });
      }
    }
    return out;
  }

  /** Whether this connection of this member is present. */
  has(clientId: string, connectionId: string): boolean {
    return this.#members.get(clientId)?.connections.has(connectionId) === true;
  }

  /** Apply a provider event; returns the member-level events it caused, in order. */
  apply(event: TransportPresenceEvent): PresenceEvent[] {
    const out: PresenceEvent[] = [];
    if (event.type === 'sync') {
      const incoming = new Map<string, TransportPresenceMember[]>();
      for (const member of event.members) {
        incoming.set(member.clientId, [...(incoming.get(member.clientId) ?? []), member]);
      }
      for (const [clientId, state] of this.#members) {
        if (!incoming.has(clientId)) this.#remove(state, out);
      }
      for (const [clientId, connections] of incoming) {
        const last = connections[connections.length - 1] as TransportPresenceMember;
        this.#set(
          clientId,
          new Map(connections.map((c) => [c.connectionId, c.data])),
          last.data,
          out,
        );
      }
      this.#rebuild();
      out.push({ type: 'sync', members: this.#snapshot });
      return out;
    }

    const { member } = event;
    const state = this.#members.get(member.clientId);
    if (event.type === 'leave') {
      if (!state?.connections.delete(member.connectionId)) return out;
      if (state.connections.size === 0) this.#remove(state, out);
      // Another connection of this user stays: the member stays, with that connection's data.
      else this.#change(state, [...state.connections.values()].pop(), out);
    } else {
      // enter or update: both set this connection's data; which event the app sees depends on
      // whether the user was already present (another tab is not a new member), not on what the
      // provider called it.
      const connections = new Map(state?.connections);
      connections.set(member.connectionId, member.data);
      this.#set(member.clientId, connections, member.data, out);
    }
    this.#rebuild();
    return out;
  }

  /** Apply a data change to every connection of a member (used to emulate update). */
  updateMember(clientId: string, data: unknown): PresenceEvent[] {
    const state = this.#members.get(clientId);
    if (!state || sameData(state.data, data)) return [];
    const out: PresenceEvent[] = [];
    for (const key of state.connections.keys()) state.connections.set(key, data);
    this.#change(state, data, out);
    this.#rebuild();
    return out;
  }

  /** A member with these connections and data: an `enter` if new, an `update` if its data changed. */
  #set(
    clientId: string,
    connections: Map<string, unknown>,
    data: unknown,
    out: PresenceEvent[],
  ): void {
    const state = this.#members.get(clientId);
    if (state) {
      state.connections = connections;
      this.#change(state, data, out);
    } else {
      const created = { clientId, data, connections };
      this.#members.set(clientId, created);
      out.push({ type: 'enter', member: toMember(created) });
    }
  }

  #change(state: MemberState, data: unknown, out: PresenceEvent[]): void {
    const changed = !sameData(state.data, data);
    state.data = data;
    if (changed) out.push({ type: 'update', member: toMember(state) });
  }

  #remove(state: MemberState, out: PresenceEvent[]): void {
    this.#members.delete(state.clientId);
    out.push({ type: 'leave', member: toMember(state) });
  }

  clear(): PresenceEvent[] {
    const out: PresenceEvent[] = [...this.#members.values()].map((state) => ({
      type: 'leave' as const,
      member: toMember(state),
    }));
    this.#members.clear();
    this.#rebuild();
    return out;
  }

  #rebuild(): void {
    this.#snapshot = Object.freeze([...this.#members.values()].map(toMember));
  }
}

function toMember(state: MemberState): PresenceMember {
  return { clientId: state.clientId, data: state.data, connections: state.connections.size };
}

/** Equal presence data: the same value or the same JSON. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
