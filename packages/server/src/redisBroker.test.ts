import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  sleep,
  startRedisCluster,
  startRedisServer,
  waitFor,
} from '@patchbay/realtime-testkit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BrokerEvent } from './broker.js';
import type { OutboundFrame, Reply } from './frames.js';
import { Hub, type HubSession } from './hub.js';
import { createRedisBroker, type RedisBroker, type RedisBrokerOptions } from './redisBroker.js';

let redis: RedisServerHandle;
const brokers: RedisBroker[] = [];
const hubs: Hub[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});

afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
  for (const broker of brokers.splice(0)) await broker.close();
});

afterAll(async () => {
  await redis?.stop();
});

/** A fresh key space per test, so tests never see each other's state. */
const prefix = () => `test-${randomUUID().slice(0, 8)}:`;

function broker(options: RedisBrokerOptions = {}): RedisBroker {
  const created = createRedisBroker({ url: redis.url, ...options });
  brokers.push(created);
  return created;
}

const message = (channel: string, id: string, data: unknown = id) => ({
  channel,
  id,
  event: 'e',
  data,
});

function collect(target: RedisBroker, channel: string): BrokerEvent[] {
  const events: BrokerEvent[] = [];
  target.subscribe(channel, (event) => events.push(event));
  return events;
}

const seqs = (events: BrokerEvent[]) =>
  events.flatMap((e) => (e.kind === 'message' ? [e.message.seq] : []));

describe('redis broker: sequence numbers and history', () => {
  it('numbers messages per channel and pages history like the memory broker', async () => {
    const b = broker({ keyPrefix: prefix() });
    const empty = await b.history('room');
    expect(empty).toMatchObject({ messages: [], seq: 0 });
    expect(empty.oldestSeq).toBeUndefined();
    for (let i = 1; i <= 5; i++) {
      const { message: stored, duplicate } = await b.append(message('room', `m${i}`, { i }));
      expect(duplicate).toBe(false);
      expect(stored).toMatchObject({ seq: i, id: `m${i}`, data: { i } });
      expect(typeof stored.timestamp).toBe('number');
    }
    expect((await b.append(message('other', 'x'))).message.seq).toBe(1);

    const all = await b.history('room');
    expect(all.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all).toMatchObject({ seq: 5, oldestSeq: 1 });
    expect((await b.history('room', { afterSeq: 3 })).messages.map((m) => m.id)).toEqual([
      'm4',
      'm5',
    ]);
    expect((await b.history('room', { limit: 2 })).messages.map((m) => m.seq)).toEqual([4, 5]);
    expect((await b.history('room', { afterSeq: 1, limit: 2 })).messages.map((m) => m.seq)).toEqual(
      [4, 5],
    );
    expect((await b.history('room', { limit: 0 })).messages).toEqual([]);
    expect((await b.history('room', { afterSeq: 5 })).messages).toEqual([]);
  });

  it('keeps historySize messages, and clearHistory keeps positions monotonic', async () => {
    const b = broker({ keyPrefix: prefix(), historySize: 3 });
    for (let i = 1; i <= 5; i++) await b.append(message('room', `m${i}`));
    const page = await b.history('room');
    expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(page).toMatchObject({ seq: 5, oldestSeq: 3 });
    // An id that fell out of history is a new message again, like the memory broker.
    expect((await b.append(message('room', 'm1'))).duplicate).toBe(false);

    await b.clearHistory('room');
    const cleared = await b.history('room', { afterSeq: 2 });
    expect(cleared).toMatchObject({ messages: [], seq: 6 });
    expect(cleared.oldestSeq).toBeUndefined();
    expect((await b.append(message('room', 'm7'))).message.seq).toBe(7);
  });

  it('shares one epoch across brokers and restarts; a flushed Redis gets a new one', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const { epoch } = await a.history('room');
    expect(epoch).toMatch(/[0-9a-f-]{36}/);
    await a.close();
    const b = broker({ keyPrefix });
    expect((await b.history('room')).epoch).toBe(epoch);
    const admin = new Redis(redis.url);
    const keys = await admin.keys(`{${keyPrefix}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
    expect((await b.history('room')).epoch).not.toBe(epoch);
  });

  it('is idempotent by id: a re-sent message is returned as stored, neither stored nor sent twice', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const events = collect(a, 'room');
    await a.ready?.('room');
    const first = await a.append(message('room', 'same', 1));
    const again = await a.append(message('room', 'same', 2));
    expect(again).toEqual({ message: first.message, duplicate: true });
    const b = broker({ keyPrefix });
    expect((await b.append(message('room', 'same', 3))).duplicate).toBe(true);
    await a.append(message('room', 'next'));
    await waitFor('two deliveries', () => events.length === 2);
    expect(seqs(events)).toEqual([1, 2]);
    expect((await a.history('room')).messages).toHaveLength(2);
  });
});

describe('redis broker: fan-out across processes', () => {
  it('delivers to another broker in sequence order, whoever publishes', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const b = broker({ keyPrefix });
    const onB = collect(b, 'room');
    const onA = collect(a, 'room');
    await Promise.all([a.ready?.('room'), b.ready?.('room')]);
    const sent = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).append(message('room', `m${i}`))),
    );
    expect(new Set(sent.map((s) => s.message.seq)).size).toBe(300);
    await waitFor('300 messages on B', () => onB.length === 300);
    await waitFor('300 messages on A', () => onA.length === 300);
    const expected = Array.from({ length: 300 }, (_, i) => i + 1);
    expect(seqs(onB)).toEqual(expected);
    expect(seqs(onA)).toEqual(expected);
  });

  it('reads back messages pub/sub dropped while the subscriber connection was down', async () => {
    const keyPrefix = prefix();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const a = broker({ keyPrefix });
    const b = broker({ keyPrefix });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    await a.append(message('room', 'm1'));
    await waitFor('the first message', () => onB.length === 1);
    const admin = new Redis(redis.url);
    const numsub = async () =>
      ((await admin.call('PUBSUB', 'SHARDNUMSUB', `{${keyPrefix}room}:ch`)) as [string, number])[1];
    // Cut B's subscriber connection; what is published until it resubscribes never reaches it.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await numsub()).toBe(0);
    for (const id of ['m2', 'm3', 'm4']) await a.append(message('room', id));
    await waitFor('the resubscription', async () => (await numsub()) === 1, { timeoutMs: 10_000 });
    await a.append(message('room', 'm5'));
    await waitFor('five messages on B', () => onB.length === 5);
    expect(seqs(onB)).toEqual([1, 2, 3, 4, 5]);
    await admin.quit();
  });

  it('broadcasts ephemeral messages without storing them', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const b = broker({ keyPrefix });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    await a.broadcast({ ...message('room', 't1'), ephemeral: true });
    await waitFor('the typing event', () => onB.length === 1);
    expect(onB[0]).toMatchObject({ kind: 'message', message: { id: 't1', ephemeral: true } });
    expect((await a.history('room')).seq).toBe(0);
  });

  it('stops delivering after the last listener unsubscribes, and ignores malformed payloads', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const first: BrokerEvent[] = [];
    const second: BrokerEvent[] = [];
    const off1 = a.subscribe('room', (e) => first.push(e));
    const off2 = a.subscribe('room', (e) => second.push(e));
    await a.ready?.('room');
    const raw = new Redis(redis.url);
    await raw.spublish(`{${keyPrefix}room}:ch`, 'not json');
    await raw.spublish(`{${keyPrefix}room}:ch`, '{"kind":"nonsense"}');
    await a.append(message('room', 'm1'));
    await waitFor('delivery to both listeners', () => first.length === 1 && second.length === 1);
    expect(warn).toHaveBeenCalledTimes(1);
    off1();
    await a.append(message('room', 'm2'));
    await waitFor('delivery to the remaining listener', () => second.length === 2);
    expect(first).toHaveLength(1);
    off2();
    await waitFor('the unsubscribe', async () => {
      const counts = (await raw.call('PUBSUB', 'SHARDNUMSUB', `{${keyPrefix}room}:ch`)) as [
        string,
        number,
      ];
      return counts[1] === 0;
    });
    await raw.quit();
  });
});

describe('redis broker: presence across processes', () => {
  const alice = { clientId: 'alice', connectionId: 'c-alice', data: { status: 'here' } };
  const bob = { clientId: 'bob', connectionId: 'c-bob', data: null };

  it('aggregates members of every broker, and only the remover announces the leave', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const b = broker({ keyPrefix });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    expect(await a.presenceSet('room', alice)).toBe('enter');
    expect(await a.presenceSet('room', { ...alice, data: { status: 'away' } })).toBe('update');
    expect(await b.presenceSet('room', bob)).toBe('enter');
    const members = await b.presenceMembers('room');
    expect(members.map((m) => m.clientId).sort()).toEqual(['alice', 'bob']);
    expect(members.find((m) => m.clientId === 'alice')?.data).toEqual({ status: 'away' });

    const [removedByA, removedByB] = await Promise.all([
      a.presenceRemove('room', 'c-alice'),
      b.presenceRemove('room', 'c-alice'),
    ]);
    expect([removedByA, removedByB].filter(Boolean)).toEqual([
      { ...alice, data: { status: 'away' } },
    ]);
    await waitFor('four presence events', () => onB.length === 4);
    expect(onB.map((e) => (e.kind === 'presence' ? e.event.type : e.kind))).toEqual([
      'enter',
      'update',
      'enter',
      'leave',
    ]);
    expect((await a.presenceMembers('room')).map((m) => m.clientId)).toEqual(['bob']);
  });

  it("removes a dead process's members, with a leave, once its heartbeat expires", async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix, nodeTtlMs: 600 });
    const b = broker({ keyPrefix, nodeTtlMs: 600 });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    await a.presenceSet('room', alice);
    await b.presenceSet('room', bob);
    a.disconnect();
    const started = Date.now();
    await waitFor(
      "alice's leave on B",
      () => onB.some((e) => e.kind === 'presence' && e.event.type === 'leave'),
      { timeoutMs: 5_000 },
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    const leaves = onB.filter((e) => e.kind === 'presence' && e.event.type === 'leave');
    expect(leaves).toHaveLength(1);
    expect(leaves[0]).toMatchObject({ event: { member: { clientId: 'alice' } } });
    expect((await b.presenceMembers('room')).map((m) => m.clientId)).toEqual(['bob']);
  });

  it('a closing broker removes its own members with a leave', async () => {
    const keyPrefix = prefix();
    const a = broker({ keyPrefix });
    const b = broker({ keyPrefix });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    await a.presenceSet('room', alice);
    await b.presenceSet('room', bob);
    await a.close();
    await waitFor('a leave', () =>
      onB.some((e) => e.kind === 'presence' && e.event.type === 'leave'),
    );
    expect((await b.presenceMembers('room')).map((m) => m.clientId)).toEqual(['bob']);
  });
});

describe('redis broker: Redis unreachable', () => {
  it('fails hub operations with a retryable error instead of hanging, and logs once', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const b = broker({ url: `redis://127.0.0.1:${port}` });
    const started = Date.now();
    const error = await b.append(message('room', 'm1')).then(
      () => undefined,
      (e: unknown) => e as { code: string; retryable: boolean; message: string },
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error).toMatchObject({ code: 'transport_error', retryable: true });
    expect(error?.message).toMatch(/Redis/);
    await expect(b.history('room')).rejects.toMatchObject({ retryable: true });
    // One line per connection and outage, not one per reconnect attempt.
    expect(warn.mock.calls.length).toBeLessThanOrEqual(2);
  });
});

describe('redis broker: two hubs on one Redis', () => {
  interface Client {
    session: HubSession;
    frames: OutboundFrame[];
    send(frame: unknown): Promise<Reply | undefined>;
  }
  async function client(hub: Hub, token: string): Promise<Client> {
    const frames: OutboundFrame[] = [];
    const session = await hub.openSession(
      { token, clientId: undefined, echo: true },
      { send: (frame) => frames.push(frame), terminate: () => {} },
    );
    return { session, frames, send: (frame) => session.handle(frame) };
  }
  const received = (c: Client) =>
    c.frames.flatMap((f) => (f.type === 'message' ? [(f as { data: unknown }).data] : []));

  function hub(keyPrefix: string): Hub {
    const created = new Hub({
      broker: broker({ keyPrefix }),
      allowAnonymous: true,
      rateLimit: false,
      presenceGraceMs: 0,
    });
    hubs.push(created);
    return created;
  }

  it("delivers hub A's publishes to hub B's subscribers, and a resume on B recovers", async () => {
    const keyPrefix = prefix();
    const hubA = hub(keyPrefix);
    const hubB = hub(keyPrefix);
    const publisher = await client(hubA, 'alice');
    const reader = await client(hubB, 'bob');
    const subscribed = (await reader.send({ op: 'subscribe', channel: 'room' })) as Reply & {
      seq: number;
      epoch: string;
    };
    expect(subscribed).toMatchObject({ ok: true, seq: 0 });
    for (let i = 1; i <= 3; i++) {
      expect(
        await publisher.send({ op: 'publish', channel: 'room', id: `m${i}`, event: 'e', data: i }),
      ).toEqual({ ok: true, seq: i });
    }
    await waitFor('three messages on hub B', () => received(reader).length === 3);
    expect(received(reader)).toEqual([1, 2, 3]);

    // The reader drops; meanwhile hub A takes more; a new connection on hub B resumes.
    await reader.session.close('lost');
    for (let i = 4; i <= 6; i++) {
      await publisher.send({ op: 'publish', channel: 'room', id: `m${i}`, event: 'e', data: i });
    }
    const resumed = await client(hubB, 'bob');
    const reply = await resumed.send({
      op: 'subscribe',
      channel: 'room',
      resumeFrom: 3,
      epoch: subscribed.epoch,
    });
    expect(reply).toMatchObject({ ok: true, recovered: true, seq: 6, epoch: subscribed.epoch });
    await publisher.send({ op: 'publish', channel: 'room', id: 'm7', event: 'e', data: 7 });
    await waitFor('the live message after the replay', () => received(resumed).length === 4);
    expect(received(resumed)).toEqual([4, 5, 6, 7]);

    // Presence entered on B is visible on A.
    await resumed.send({ op: 'presence', channel: 'room', action: 'enter', data: { on: 'B' } });
    const watcher = await client(hubA, 'carol');
    await watcher.send({ op: 'subscribe', channel: 'room' });
    const sync = watcher.frames.find((f) => f.type === 'presence') as
      | { event: { type: string; members: Array<{ clientId: string }> } }
      | undefined;
    expect(sync?.event.members.map((m) => m.clientId)).toEqual(['bob']);
  });

  it('Redis loses its data under a live subscription: the session gets a discontinuity, then everything the new epoch holds', async () => {
    const keyPrefix = prefix();
    const hubA = hub(keyPrefix);
    const publisher = await client(hubA, 'alice');
    const reader = await client(hub(keyPrefix), 'bob');
    await reader.send({ op: 'subscribe', channel: 'room' });
    for (let i = 1; i <= 3; i++) {
      await publisher.send({ op: 'publish', channel: 'room', id: `m${i}`, event: 'e', data: i });
    }
    await waitFor('three messages', () => received(reader).length === 3);
    // Redis comes back empty: sequence numbers start again at 1.
    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    for (let i = 4; i <= 5; i++) {
      expect(
        await publisher.send({ op: 'publish', channel: 'room', id: `m${i}`, event: 'e', data: i }),
      ).toEqual({ ok: true, seq: i - 3 });
    }
    await waitFor('the new epoch', () => received(reader).length === 5);
    const kinds = reader.frames.flatMap((f) =>
      f.type === 'message'
        ? [`m:${(f as { data: unknown }).data}`]
        : f.type === 'discontinuity'
          ? ['gap']
          : [],
    );
    expect(kinds).toEqual(['m:1', 'm:2', 'm:3', 'gap', 'm:4', 'm:5']);
  });

  it('reports a discontinuity to a client resuming from before a cleared history', async () => {
    const keyPrefix = prefix();
    const hubA = hub(keyPrefix);
    const publisher = await client(hubA, 'alice');
    for (let i = 1; i <= 3; i++) {
      await publisher.send({ op: 'publish', channel: 'room', id: `m${i}`, event: 'e', data: i });
    }
    await hubA.broker.clearHistory('room');
    const reader = await client(hub(keyPrefix), 'bob');
    expect(await reader.send({ op: 'subscribe', channel: 'room', resumeFrom: 1 })).toMatchObject({
      ok: true,
      recovered: false,
      seq: 3,
    });
  });
});

describe('redis broker: trimming and connections', () => {
  it('trims approximately but shows exactly the last historySize messages', async () => {
    const keyPrefix = prefix();
    const b = broker({ keyPrefix, historySize: 150 });
    for (let i = 1; i <= 400; i++) await b.append(message('room', `m${i}`));
    const page = await b.history('room');
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 251 + i));
    expect(page).toMatchObject({ seq: 400, oldestSeq: 251 });
    expect((await b.history('room', { afterSeq: 100 })).messages[0]?.seq).toBe(251);
    const admin = new Redis(redis.url);
    const length = await admin.xlen(`{${keyPrefix}room}:stream`);
    await admin.quit();
    // Redis drops whole stream nodes: fewer than 400, at least 150.
    expect(length).toBeGreaterThanOrEqual(150);
    expect(length).toBeLessThan(400);
  });

  it("runs on the app's own client with classic pub/sub, and leaves that client open", async () => {
    const keyPrefix = prefix();
    const app = new Redis(redis.url);
    const a = broker({ client: app, keyPrefix, pubsub: 'classic' });
    const b = broker({ client: app, keyPrefix, pubsub: 'classic' });
    const onB = collect(b, 'room');
    await b.ready?.('room');
    const numsub = (await app.call('PUBSUB', 'NUMSUB', `{${keyPrefix}room}:ch`)) as [
      string,
      number,
    ];
    expect(numsub[1]).toBe(1);
    for (let i = 1; i <= 3; i++) await a.append(message('room', `m${i}`));
    await waitFor('three messages on B', () => onB.length === 3);
    expect(seqs(onB)).toEqual([1, 2, 3]);
    await a.close();
    await b.close();
    expect(await app.ping()).toBe('PONG');
    await app.quit();
  });
});

describe('redis broker: Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps a channel on one shard, fans out through sharded pub/sub, and loses nothing acknowledged when that shard fails over', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    cluster = await startRedisCluster();
    const keyPrefix = prefix();
    const a = broker({ cluster: cluster.seeds, keyPrefix });
    const b = broker({ url: cluster.url, keyPrefix });
    const onB = collect(b, 'room');
    await b.ready?.('room');

    const sent: number[] = [];
    for (let i = 1; i <= 20; i++) sent.push((await a.append(message('room', `m${i}`))).message.seq);
    expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await waitFor('20 messages on B', () => onB.length === 20);
    // Every key of the channel hashes to one slot.
    const admin = new Cluster(
      cluster.seeds.map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
    );
    const slots = new Set(
      await Promise.all(
        ['seq', 'stream', 'ids', 'epoch', 'released', 'presence', 'presence-nodes', 'ch'].map(
          (suffix) => admin.cluster('KEYSLOT', `{${keyPrefix}room}:${suffix}`),
        ),
      ),
    );
    admin.disconnect();
    expect(slots.size).toBe(1);
    const { epoch } = await a.history('room');

    const shard = await cluster.shardOf(`{${keyPrefix}room}:seq`);
    expect(shard.replica).toBeDefined();
    // B listens on the shard that owns the channel (sharded pub/sub), not through the cluster bus.
    const owner = new Redis(shard.primary, '127.0.0.1');
    const shardSubs = (await owner.call('PUBSUB', 'SHARDNUMSUB', `{${keyPrefix}room}:ch`)) as [
      string,
      number,
    ];
    owner.disconnect();
    expect(shardSubs[1]).toBe(1);

    // Crash the channel's primary while appends continue; its replica takes over.
    const acked = new Map<string, number>();
    let stop = false;
    const appending = (async () => {
      for (let i = 21; i <= 400 && !stop; i++) {
        for (let tries = 0; tries < 200; tries++) {
          try {
            const stored = await a.append(message('room', `m${i}`));
            acked.set(`m${i}`, stored.message.seq);
            break;
          } catch {
            await sleep(50);
          }
        }
        if (i === 60) await cluster?.kill(shard.primary);
      }
    })();
    const how = await cluster.promote(shard.replica as number);
    await sleep(500);
    stop = true;
    await appending;
    console.info(`Redis Cluster failover: ${how}; ${acked.size} appends acknowledged`);

    expect(acked.size).toBeGreaterThan(40);
    const page = await b.history('room');
    expect(page.epoch).toBe(epoch);
    const kept = new Map(page.messages.map((m) => [m.id, m.seq]));
    for (const [id, seq] of acked) expect(kept.get(id), id).toBe(seq);
    await waitFor('every acknowledged message on B', () => onB.length >= 20 + acked.size, {
      timeoutMs: 15_000,
    });
    const delivered = seqs(onB);
    expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1));
  }, 90_000);
});
