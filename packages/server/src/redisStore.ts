import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@patchbay/realtime-core';
import type { TransportMessage, TransportPresenceMember } from '@patchbay/realtime-core/transport';
import type { HistoryPage, StoredMessage } from './broker.js';
import { HubError } from './hubError.js';
import { type RedisClient, runScript, script } from './redisConnections.js';
import {
  APPEND,
  HISTORY,
  PRESENCE_READ,
  PRESENCE_REMOVE,
  PRESENCE_REMOVE_NODES,
  PRESENCE_SET,
  RELEASE,
  WATCH,
} from './redisScripts.js';

/** How the broker publishes: `SPUBLISH` (sharded pub/sub) or `PUBLISH` (classic). */
export type PublishCommand = 'SPUBLISH' | 'PUBLISH';

/** A channel's keys and pub/sub channel, all under its hash tag. */
export interface ChannelKeys {
  seq: string;
  stream: string;
  ids: string;
  epoch: string;
  released: string;
  presence: string;
  presenceNodes: string;
  pubsub: string;
}

/** A channel's epoch, its release mark, and the nodes holding its presence members (`WATCH`). */
export type WatchReply = [epoch: string, released: number, nodes: string[]];

/** `HISTORY`'s reply: epoch, latest seq, oldest kept entry id, and `[id, body, …]`. */
export type HistoryReply = [epoch: string, seq: number, oldestId: string, flat: string[]];

const scripts = {
  append: script(APPEND),
  release: script(RELEASE),
  history: script(HISTORY),
  presenceSet: script(PRESENCE_SET),
  presenceRemove: script(PRESENCE_REMOVE),
  presenceRemoveNodes: script(PRESENCE_REMOVE_NODES),
  presenceRead: script(PRESENCE_READ),
  watch: script(WATCH),
};

/** `"<seq>-0"` → seq. */
export const seqOf = (entryId: string) => Number.parseInt(entryId, 10);

/** A `HISTORY` reply as the broker's page. */
export function historyPage([epoch, seq, oldestId, flat]: HistoryReply): HistoryPage {
  const messages: StoredMessage[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const body = JSON.parse(flat[i + 1] as string) as StoredMessage;
    messages.push({ ...body, seq: seqOf(flat[i] as string) });
  }
  return {
    messages,
    seq: Number(seq),
    epoch,
    ...(oldestId ? { oldestSeq: seqOf(oldestId) } : {}),
  };
}

/**
 * The Redis broker's storage calls: each lays out a script's KEYS and ARGV (`redisScripts.ts`)
 * or runs one command, on the command connection. Failures propagate as Redis reports them; the
 * broker turns them into retryable errors.
 */
export class RedisStore {
  readonly #commands: RedisClient;
  readonly #prefix: string;
  readonly #historySize: number;
  readonly #replicaAckTimeoutMs: number;

  constructor(
    commands: RedisClient,
    options: { prefix: string; historySize: number; replicaAckTimeoutMs: number },
  ) {
    this.#commands = commands;
    this.#prefix = options.prefix;
    this.#historySize = options.historySize;
    this.#replicaAckTimeoutMs = options.replicaAckTimeoutMs;
  }

  keys(channel: string): ChannelKeys {
    const tag = `{${this.#prefix}${channel}}`;
    return {
      seq: `${tag}:seq`,
      stream: `${tag}:stream`,
      ids: `${tag}:ids`,
      epoch: `${tag}:epoch`,
      released: `${tag}:released`,
      presence: `${tag}:presence`,
      presenceNodes: `${tag}:presence-nodes`,
      pubsub: `${tag}:ch`,
    };
  }

  nodeKey(id: string): string {
    return `${this.#prefix}node:${id}`;
  }

  /**
   * Store a message body (JSON without `seq`) under `id`; where the channel's node has replicas,
   * wait for them (`WAIT`) before releasing it to subscribers.
   */
  async append(
    channel: string,
    id: string,
    body: string,
    publish: PublishCommand,
  ): Promise<{ message: StoredMessage; duplicate: boolean }> {
    const k = this.keys(channel);
    const [added, seq, stored, replicas] = await runScript<[number, number, string, number]>(
      this.#commands,
      scripts.append,
      [k.seq, k.stream, k.ids, k.epoch, k.released],
      [id, body, String(this.#historySize), randomUUID(), publish, k.pubsub],
    );
    if (Number(replicas) > 0) {
      const confirmed = await this.#replicated(k.seq, Number(replicas));
      if (confirmed < Number(replicas)) {
        throw new HubError(
          ErrorCodes.TransportError,
          `The hub could not store a message on "${channel}": ${confirmed} of ${replicas} Redis replicas confirmed it within ${this.#replicaAckTimeoutMs} ms. Retry with the same id.`,
          { retryable: true },
        );
      }
      await runScript(
        this.#commands,
        scripts.release,
        [k.stream, k.released, k.epoch],
        [seq, publish, k.pubsub],
      );
    }
    const stored_ = { ...(JSON.parse(stored) as TransportMessage), seq: Number(seq) };
    return { message: stored_ as StoredMessage, duplicate: Number(added) === 0 };
  }

  /** Wait until the channel's replicas have this connection's writes; how many confirmed. */
  async #replicated(anchor: string, replicas: number): Promise<number> {
    // WAIT counts the writes of the connection it runs on: pipelined with a command on the
    // channel's key, it runs on the connection (and, on a cluster, the node) that ran the script.
    const replies = await this.#commands
      .pipeline()
      .exists(anchor)
      .call('WAIT', replicas, this.#replicaAckTimeoutMs)
      .exec();
    const [error, count] = replies?.[1] ?? [new Error('no reply to WAIT'), 0];
    if (error) throw error;
    return Number(count);
  }

  /** Publish without storing. */
  async broadcast(message: TransportMessage, publish: PublishCommand): Promise<void> {
    const payload = JSON.stringify({ kind: 'message', body: JSON.stringify(message) });
    await this.#commands.call(publish, this.keys(message.channel).pubsub, payload);
  }

  /** Messages from seq `first` on (0: the oldest kept), at most `limit`; see `historyPage`. */
  history(channel: string, first: number, limit: number | undefined): Promise<HistoryReply> {
    const k = this.keys(channel);
    return runScript<HistoryReply>(
      this.#commands,
      scripts.history,
      [k.stream, k.released, k.epoch],
      [
        String(first),
        limit === undefined ? '' : String(Math.max(0, Math.floor(limit))),
        String(this.#historySize),
        randomUUID(),
      ],
    );
  }

  async clearHistory(channel: string): Promise<void> {
    const k = this.keys(channel);
    await this.#commands.del(k.stream, k.ids);
  }

  /** Released entries from seq `from` to `upTo`, as `[id, [field, body]]`. */
  readReleased(channel: string, from: number, upTo: number): Promise<[string, string[]][]> {
    return this.#commands.xrange(this.keys(channel).stream, `${from}-0`, `${upTo}-0`);
  }

  watch(channel: string): Promise<WatchReply> {
    const k = this.keys(channel);
    return runScript<WatchReply>(
      this.#commands,
      scripts.watch,
      [k.epoch, k.released, k.presenceNodes],
      [],
    );
  }

  setMember(
    channel: string,
    member: TransportPresenceMember,
    nodeId: string,
    publish: PublishCommand,
  ): Promise<'enter' | 'update'> {
    const k = this.keys(channel);
    return runScript<'enter' | 'update'>(
      this.#commands,
      scripts.presenceSet,
      [k.presence, k.presenceNodes],
      [member.connectionId, JSON.stringify(member), nodeId, publish, k.pubsub],
    );
  }

  /** The removed member's JSON, or null when it was not there. */
  removeMember(
    channel: string,
    connectionId: string,
    publish: PublishCommand,
  ): Promise<string | null> {
    const k = this.keys(channel);
    return runScript<string | null>(
      this.#commands,
      scripts.presenceRemove,
      [k.presence, k.presenceNodes],
      [connectionId, publish, k.pubsub],
    );
  }

  /** Remove (with a leave each) the members these nodes hold on the channel. */
  async removeNodes(channel: string, nodes: string[], publish: PublishCommand): Promise<void> {
    const k = this.keys(channel);
    await runScript(
      this.#commands,
      scripts.presenceRemoveNodes,
      [k.presence, k.presenceNodes],
      [publish, k.pubsub, ...nodes],
    );
  }

  /** `[connectionId, member JSON, …]` and `[connectionId, nodeId, …]`. */
  readMembers(channel: string): Promise<[string[], string[]]> {
    const k = this.keys(channel);
    return runScript<[string[], string[]]>(
      this.#commands,
      scripts.presenceRead,
      [k.presence, k.presenceNodes],
      [],
    );
  }
}
