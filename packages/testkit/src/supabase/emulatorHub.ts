import { randomBytes, randomUUID } from 'node:crypto';
import { encodeUserBroadcast, type PhoenixMessage, type Vsn } from './phoenixProtocol.js';
import type { SupabaseClaims } from './supabaseTokens.js';

/** What an RLS policy on `realtime.messages` decides: read or write, for broadcast or presence. */
export type SupabaseChannelAction =
  | 'broadcast.read'
  | 'broadcast.write'
  | 'presence.read'
  | 'presence.write';

/**
 * The emulator's stand-in for RLS policies on `realtime.messages`, asked for private channels only
 * (`topic` is the name the app gave `channel()`, without `realtime:`). `service_role` bypasses it,
 * as it bypasses RLS.
 */
export type SupabaseAuthorize = (
  claims: SupabaseClaims,
  topic: string,
  action: SupabaseChannelAction,
) => boolean | Promise<boolean>;

/** A `rejectAuth` rule: every field given must match; none given refuses everything. */
export interface SupabaseAuthRejection {
  /** `connect` refuses the WebSocket upgrade; `join` refuses `phx_join`. Default: both. */
  stage?: 'connect' | 'join';
  /** The channel name without `realtime:` (join only). */
  topic?: string;
  /** The token's `role` claim. */
  role?: string;
  /** The token's `sub` claim. */
  sub?: string;
}

/** What a subscription needs of its socket. */
export interface SubscriberSocket {
  readonly id: string;
  readonly vsn: Vsn;
  send(message: PhoenixMessage): void;
  sendBinary(frame: Buffer): void;
}

/** One joined channel of one socket (a Phoenix channel process on Supabase). */
export interface Subscription {
  readonly socket: SubscriberSocket;
  /** `realtime:<name>`, as joined. */
  readonly topic: string;
  readonly subTopic: string;
  readonly joinRef: string | null;
  readonly private: boolean;
  readonly self: boolean;
  readonly ack: boolean;
  readonly presenceKey: string;
  presenceEnabled: boolean;
  claims: SupabaseClaims;
  token: string;
  /** RLS results for private channels; undefined until evaluated (as on Supabase). */
  policies: Partial<Record<SupabaseChannelAction, boolean>>;
  replayedIds: ReadonlySet<string>;
  presence: { ref: string; payload: Record<string, unknown> } | undefined;
  presenceCalls: { count: number; resetAt: number };
  tokenTimer: ReturnType<typeof setTimeout> | undefined;
}

/** A broadcast as it travels: raw user bytes from a realtime-js push, or a JSON payload map. */
export type Broadcast =
  | { kind: 'user'; event: string; encoding: 'json' | 'binary'; bytes: Uint8Array }
  | { kind: 'json'; payload: Record<string, unknown>; id?: string };

/** A message kept for broadcast replay (as `realtime.send()` stores it in `realtime.messages`). */
export interface StoredMessage {
  id: string;
  event: string;
  payload: unknown;
  insertedAt: number;
}

type PresenceGroup = Record<string, { metas: Array<Record<string, unknown>> }>;

/** Every joined channel, keyed like Supabase's tenant topics: private and public never mix. */
export class EmulatorHub {
  readonly #topics = new Map<string, Set<Subscription>>();
  readonly #stored = new Map<string, StoredMessage[]>();
  readonly rejections = new Set<SupabaseAuthRejection>();
  /** `phx_join`s seen per topic, and how many of the next ones to refuse (`refuseJoins`). */
  readonly joins = new Map<string, { seen: number; refuse: number }>();

  static topicKey(subTopic: string, isPrivate: boolean): string {
    return `${isPrivate ? 'private' : 'public'}:${subTopic}`;
  }

  subscribers(subTopic: string, isPrivate: boolean): ReadonlySet<Subscription> {
    return this.#topics.get(EmulatorHub.topicKey(subTopic, isPrivate)) ?? new Set();
  }

  add(sub: Subscription): void {
    const key = EmulatorHub.topicKey(sub.subTopic, sub.private);
    const set = this.#topics.get(key) ?? new Set();
    set.add(sub);
    this.#topics.set(key, set);
  }

  /** Remove a subscription; its tracked presence leaves, as when its channel process exits. */
  remove(sub: Subscription): void {
    clearTimeout(sub.tokenTimer);
    const key = EmulatorHub.topicKey(sub.subTopic, sub.private);
    const set = this.#topics.get(key);
    if (!set?.delete(sub)) return;
    if (set.size === 0) this.#topics.delete(key);
    if (sub.presence) {
      const left = sub.presence;
      sub.presence = undefined;
      this.presenceDiff(sub, {}, { [sub.presenceKey]: { metas: [meta(left)] } });
    }
  }

  refused(
    stage: 'connect' | 'join',
    claims: SupabaseClaims | undefined,
    subTopic?: string,
  ): boolean {
    for (const rule of this.rejections) {
      if (rule.stage !== undefined && rule.stage !== stage) continue;
      if (rule.topic !== undefined && rule.topic !== subTopic) continue;
      if (rule.role !== undefined && rule.role !== claims?.role) continue;
      if (rule.sub !== undefined && rule.sub !== claims?.sub) continue;
      return true;
    }
    return false;
  }

  /**
   * Fan a broadcast out to a topic (`MessageDispatcher.dispatch/3`): `from` (a sender with
   * `self: false`) is skipped, private subscribers need broadcast read, and a message a subscriber
   * already got through replay is not sent again.
   */
  broadcast(subTopic: string, isPrivate: boolean, message: Broadcast, from?: Subscription): void {
    for (const sub of this.subscribers(subTopic, isPrivate)) {
      if (sub === from) continue;
      if (sub.private && sub.policies['broadcast.read'] !== true) continue;
      if (message.kind === 'json' && message.id && sub.replayedIds.has(message.id)) continue;
      if (message.kind === 'json') {
        sub.socket.send({
          joinRef: null,
          ref: null,
          topic: sub.topic,
          event: 'broadcast',
          payload: message.payload,
        });
      } else if (sub.socket.vsn === '2.0.0') {
        sub.socket.sendBinary(
          encodeUserBroadcast(sub.topic, message.event, message.encoding, message.bytes),
        );
      } else if (message.encoding === 'json') {
        // A V1 socket cannot read binary frames: Supabase converts JSON user broadcasts and drops binary ones.
        const payload = JSON.parse(Buffer.from(message.bytes).toString('utf8')) as unknown;
        sub.socket.send({
          joinRef: null,
          ref: null,
          topic: sub.topic,
          event: 'broadcast',
          payload: { event: message.event, payload, type: 'broadcast' },
        });
      }
    }
  }

  /** `presence_state` for a topic: `{ key: { metas: [{ …payload, phx_ref }] } }`. */
  presenceState(subTopic: string, isPrivate: boolean): PresenceGroup {
    const state: PresenceGroup = {};
    for (const sub of this.subscribers(subTopic, isPrivate)) {
      if (!sub.presence) continue;
      const group = state[sub.presenceKey] ?? { metas: [] };
      group.metas.push(meta(sub.presence));
      state[sub.presenceKey] = group;
    }
    return state;
  }

  /** Send a `presence_diff` to every subscriber that may read presence (the tracker too). */
  presenceDiff(of: Subscription, joins: PresenceGroup, leaves: PresenceGroup): void {
    for (const sub of this.subscribers(of.subTopic, of.private)) {
      if (sub.private && sub.policies['presence.read'] !== true) continue;
      sub.socket.send({
        joinRef: null,
        ref: null,
        topic: sub.topic,
        event: 'presence_diff',
        payload: { joins, leaves },
      });
    }
  }

  /** Keep a private-channel message for replay, as `realtime.send()` inserts it. */
  store(subTopic: string, event: string, payload: unknown): StoredMessage {
    const message = { id: randomUUID(), event, payload, insertedAt: Date.now() };
    const list = this.#stored.get(subTopic) ?? [];
    list.push(message);
    this.#stored.set(subTopic, list);
    return message;
  }

  /** The newest `limit` (1–25) stored messages since `since` (ms), oldest first, as Supabase replays. */
  replay(subTopic: string, since: number, limit: number): StoredMessage[] {
    const bounded = Math.max(Math.min(limit, 25), 1);
    const matching = (this.#stored.get(subTopic) ?? []).filter((m) => m.insertedAt >= since);
    return matching.slice(-bounded);
  }

  clearStored(): void {
    this.#stored.clear();
  }

  count(subTopic: string, isPrivate?: boolean): number {
    if (isPrivate !== undefined) return this.subscribers(subTopic, isPrivate).size;
    return this.subscribers(subTopic, false).size + this.subscribers(subTopic, true).size;
  }
}

/** A presence meta as Phoenix lists it: the tracked payload plus its `phx_ref`. */
export function meta(
  presence: { ref: string; payload: Record<string, unknown> },
  prevRef?: string,
) {
  return prevRef === undefined
    ? { ...presence.payload, phx_ref: presence.ref }
    : { ...presence.payload, phx_ref: presence.ref, phx_ref_prev: prevRef };
}

/** A Phoenix.Tracker-style ref: random, base64. */
export function presenceRef(): string {
  return randomBytes(12).toString('base64');
}
