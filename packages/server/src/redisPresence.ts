import type { TransportPresenceMember } from '@patchbay/realtime-core/transport';
import { attemptRedis as attempt, type RedisClient } from './redisConnections.js';
import type { RedisPubSub } from './redisPubSub.js';
import type { RedisStore } from './redisStore.js';

export interface RedisPresenceOptions {
  commands: RedisClient;
  store: RedisStore;
  pubsub: RedisPubSub;
  nodeId: string;
  nodeTtlMs: number;
}

/**
 * The Redis broker's presence and the liveness it rests on. Each member is recorded with the
 * node that holds it; each node heartbeats its own key (`nodeKey`) and keeps its own members to
 * enter again after a missed heartbeat and to remove when it closes. A node whose key expired is
 * dead: whoever next looks at a channel (a heartbeat of a node watching it, a read of its members)
 * removes that node's members there, with a leave.
 */
export class RedisPresence {
  readonly #commands: RedisClient;
  readonly #store: RedisStore;
  readonly #pubsub: RedisPubSub;
  readonly #nodeId: string;
  readonly #nodeTtlMs: number;
  /** This node's members, by channel, to re-assert after a missed heartbeat and remove on close. */
  readonly #owned = new Map<string, Map<string, TransportPresenceMember>>();
  #beaten = false;

  constructor(options: RedisPresenceOptions) {
    this.#commands = options.commands;
    this.#store = options.store;
    this.#pubsub = options.pubsub;
    this.#nodeId = options.nodeId;
    this.#nodeTtlMs = options.nodeTtlMs;
  }

  /** Renew this node's key; never rejects. */
  async heartbeat(): Promise<void> {
    const key = this.#store.nodeKey(this.#nodeId);
    try {
      const kept = await this.#commands.set(key, '1', 'PX', this.#nodeTtlMs, 'XX');
      if (kept !== null) return;
      await this.#commands.set(key, '1', 'PX', this.#nodeTtlMs);
      // The key had expired (a pause longer than the TTL, a failover): other nodes may have
      // removed this node's members, so enter them again.
      if (this.#beaten) {
        for (const [channel, members] of this.#owned) {
          for (const member of members.values()) await this.#setMember(channel, member);
        }
      }
    } catch {
      // Logged by the connection's error handler; the next heartbeat tries again.
    } finally {
      this.#beaten = true;
    }
  }

  async set(channel: string, member: TransportPresenceMember): Promise<'enter' | 'update'> {
    const mine = this.#owned.get(channel) ?? new Map<string, TransportPresenceMember>();
    this.#owned.set(channel, mine);
    mine.set(member.connectionId, member);
    return attempt(`set presence on "${channel}"`, () => this.#setMember(channel, member));
  }

  async remove(
    channel: string,
    connectionId: string,
  ): Promise<TransportPresenceMember | undefined> {
    const mine = this.#owned.get(channel);
    mine?.delete(connectionId);
    if (mine?.size === 0) this.#owned.delete(channel);
    const member = await attempt(`remove presence on "${channel}"`, async () => {
      const { publish } = await this.#pubsub.mode();
      return this.#store.removeMember(channel, connectionId, publish);
    });
    return member ? (JSON.parse(member) as TransportPresenceMember) : undefined;
  }

  /** The channel's members on live nodes; dead nodes' members are removed on the way. */
  members(channel: string): Promise<TransportPresenceMember[]> {
    return attempt(`read presence on "${channel}"`, async () => {
      const [members, nodes] = await this.#store.readMembers(channel);
      const nodeOf = new Map<string, string>();
      for (let i = 0; i + 1 < nodes.length; i += 2) {
        nodeOf.set(nodes[i] as string, nodes[i + 1] as string);
      }
      const dead = new Set(await this.#deadNodes(nodeOf.values()));
      if (dead.size > 0) await this.#removeNodes(channel, [...dead]);
      const present: TransportPresenceMember[] = [];
      for (let i = 0; i + 1 < members.length; i += 2) {
        const node = nodeOf.get(members[i] as string);
        if (node === undefined || !dead.has(node)) {
          present.push(JSON.parse(members[i + 1] as string) as TransportPresenceMember);
        }
      }
      return present;
    });
  }

  /** Of the nodes holding members on a watched channel (`WATCH`), remove the dead ones' members. */
  async removeDead(channel: string, nodes: string[]): Promise<void> {
    await this.#removeNodes(channel, await this.#deadNodes(nodes));
  }

  /**
   * Leave cleanly: this process's members go now (with a leave) rather than at expiry, and its
   * key goes. Without a connection, skip it: the members expire with the node key instead.
   */
  async leave(): Promise<void> {
    try {
      if (this.#commands.status !== 'ready') throw new Error('Redis is not connected');
      await Promise.all(
        [...this.#owned.keys()].map((channel) => this.#removeNodes(channel, [this.#nodeId])),
      );
      await this.#commands.del(this.#store.nodeKey(this.#nodeId));
    } catch {
      // Redis is away: the members expire with the node key instead.
    }
    this.#owned.clear();
  }

  async #setMember(channel: string, member: TransportPresenceMember) {
    const { publish } = await this.#pubsub.mode();
    return this.#store.setMember(channel, member, this.#nodeId, publish);
  }

  /** Which of these nodes have no heartbeat key any more. A node not known dead counts as alive. */
  async #deadNodes(candidates: Iterable<string>): Promise<string[]> {
    const others = [...new Set(candidates)].filter((id) => id !== this.#nodeId);
    const alive = await Promise.all(
      others.map((id) =>
        this.#commands.exists(this.#store.nodeKey(id)).then(
          (count) => count > 0,
          () => true,
        ),
      ),
    );
    return others.filter((_, i) => !alive[i]);
  }

  async #removeNodes(channel: string, nodes: string[]): Promise<void> {
    if (nodes.length === 0) return;
    const { publish } = await this.#pubsub.mode();
    await this.#store.removeNodes(channel, nodes, publish);
  }
}
