import { describe, expect, it, vi } from 'vitest';
import type { Broker, BrokerEvent } from './broker.js';
import type { MessageFrame, OutboundFrame } from './frames.js';
import { Hub, type HubSession, type RoomDelivery, type SessionLink } from './hub.js';
import { createMemoryBroker } from './memoryBroker.js';

// SessionLink.rooms, the hook the Socket.IO endpoint's rooms stand on, with links that record
// what reaches them: directly through `send`, or through the channel's one broadcast.

interface FakeLink extends SessionLink {
  got: number[];
  joined: Set<string>;
}

function fakeRooms(log: string[]) {
  const links = new Map<FakeLink, HubSession | undefined>();
  const delivery: RoomDelivery = {
    broadcast(frame: MessageFrame, except: readonly string[]) {
      log.push(`broadcast ${frame.seq} except [${except.join(',')}]`);
      for (const [link, session] of links) {
        if (link.joined.has(frame.channel) && !except.includes(session?.id ?? '')) {
          link.got.push(frame.seq as number);
        }
      }
    },
  };
  const link = (name: string): FakeLink => {
    const fake: FakeLink = {
      got: [],
      joined: new Set(),
      send: (frame: OutboundFrame) => {
        if (frame.type === 'message') fake.got.push(frame.seq as number);
      },
      terminate: () => {},
      rooms: {
        delivery,
        join: (channel) => {
          log.push(`${name} joins ${channel}`);
          fake.joined.add(channel);
        },
        leave: (channel) => {
          log.push(`${name} leaves ${channel}`);
          fake.joined.delete(channel);
        },
      },
    };
    links.set(fake, undefined);
    return fake;
  };
  const open = async (hub: Hub, name: string, echo = true) => {
    const fake = link(name);
    const session = await hub.openSession({ token: name, clientId: undefined, echo }, fake);
    links.set(fake, session);
    return { link: fake, session };
  };
  return { open };
}

/** The memory broker, with history reads held until `release()`. */
function heldHistory(): { broker: Broker; release(): void; waiting(): boolean } {
  const broker = createMemoryBroker({ historySize: 100 });
  let gate: (() => void) | undefined;
  let held: Promise<void> | undefined;
  return {
    broker: {
      ...broker,
      history: async (channel, options) => {
        held ??= new Promise<void>((resolve) => {
          gate = resolve;
        });
        await held;
        return broker.history(channel, options);
      },
    },
    release: () => gate?.(),
    waiting: () => gate !== undefined,
  };
}

/** The memory broker, with live events held while `hold` is on (a remote broker's lag). */
function laggingLive(): { broker: Broker; hold(): void; release(): void } {
  const broker = createMemoryBroker({ historySize: 100 });
  let held: Array<() => void> | undefined;
  return {
    broker: {
      ...broker,
      subscribe: (channel, listener) =>
        broker.subscribe(channel, (event) => {
          if (held) held.push(() => listener(event));
          else listener(event);
        }),
    },
    hold: () => {
      held = [];
    },
    release: () => {
      const events = held ?? [];
      held = undefined;
      for (const deliver of events) deliver();
    },
  };
}

/** A broker whose storage can be swapped for an empty one (Redis that lost its data). */
function restartableBroker(): { broker: Broker; restart(): void } {
  let current = createMemoryBroker({ historySize: 100 });
  const listeners = new Map<string, Set<(event: BrokerEvent) => void>>();
  const unsubscribes: Array<() => void> = [];
  const forward = (store: Broker, channel: string) =>
    store.subscribe(channel, (event) => {
      for (const listener of listeners.get(channel) ?? []) listener(event);
    });
  return {
    broker: {
      append: (message) => current.append(message),
      broadcast: (message) => current.broadcast(message),
      history: (channel, options) => current.history(channel, options),
      clearHistory: (channel) => current.clearHistory(channel),
      presenceSet: (channel, member) => current.presenceSet(channel, member),
      presenceRemove: (channel, connectionId) => current.presenceRemove(channel, connectionId),
      presenceMembers: (channel) => current.presenceMembers(channel),
      subscribe: (channel, listener) => {
        let set = listeners.get(channel);
        if (!set) {
          set = new Set();
          listeners.set(channel, set);
          unsubscribes.push(forward(current, channel));
        }
        set.add(listener);
        return () => set.delete(listener);
      },
      close: async () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
      },
    },
    restart: () => {
      current = createMemoryBroker({ historySize: 100 });
      for (const channel of listeners.keys()) unsubscribes.push(forward(current, channel));
    },
  };
}

describe('shared delivery (SessionLink.rooms)', () => {
  it('joins the room only after the replay and the messages published meanwhile are sent', async () => {
    const log: string[] = [];
    const history = heldHistory();
    const hub = new Hub({ allowAnonymous: true, rateLimit: false, broker: history.broker });
    const { open } = fakeRooms(log);
    for (const n of [1, 2, 3]) await hub.broker.append(message(n));
    const { link, session } = await open(hub, 'reader');
    const subscribed = session.handle({ op: 'subscribe', channel: 'c', resumeFrom: 0 });
    while (!history.waiting()) await new Promise((resolve) => setTimeout(resolve, 1));
    await hub.broker.append(message(4)); // live while history is read: held, then sent directly
    expect(link.got).toEqual([]);
    history.release();
    expect(await subscribed).toMatchObject({ ok: true, recovered: true });
    expect(link.got).toEqual([1, 2, 3, 4]);
    expect(log).toEqual(['reader joins c']);
    await hub.broker.append(message(5));
    expect(link.got).toEqual([1, 2, 3, 4, 5]);
    expect(log).toEqual(['reader joins c', 'broadcast 5 except []']);
    await hub.close();
  });

  it('broadcasts once for all joined connections, leaving out a publisher with echo off', async () => {
    const log: string[] = [];
    const hub = new Hub({ allowAnonymous: true, rateLimit: false });
    const { open } = fakeRooms(log);
    const reader = await open(hub, 'reader');
    const quiet = await open(hub, 'quiet', false);
    for (const { session } of [reader, quiet]) {
      await session.handle({ op: 'subscribe', channel: 'c' });
    }
    await quiet.session.handle({ op: 'publish', channel: 'c', id: 'a', event: 'e', data: 1 });
    expect(reader.link.got).toEqual([1]);
    expect(quiet.link.got).toEqual([]);
    expect(log.filter((line) => line.startsWith('broadcast'))).toEqual([
      `broadcast 1 except [${quiet.session.id}]`,
    ]);
    await reader.session.handle({ op: 'unsubscribe', channel: 'c' });
    expect(log).toContain('reader leaves c');
    await quiet.session.close('client');
    expect(log).toContain('quiet leaves c');
    await hub.close();
  });

  it('leaves the room while a repeated subscribe replays, and joins again after it', async () => {
    const log: string[] = [];
    const hub = new Hub({ allowAnonymous: true, rateLimit: false });
    const { open } = fakeRooms(log);
    const { link, session } = await open(hub, 'reader');
    await session.handle({ op: 'subscribe', channel: 'c' });
    for (const n of [1, 2]) await hub.broker.append(message(n));
    await session.handle({ op: 'subscribe', channel: 'c', resumeFrom: 0 });
    await hub.broker.append(message(3));
    // 1 and 2 came by broadcast; the repeated subscribe resumes after what was already sent.
    expect(link.got).toEqual([1, 2, 3]);
    expect(log.filter((line) => !line.startsWith('broadcast'))).toEqual([
      'reader joins c',
      'reader leaves c',
      'reader joins c',
    ]);
    await hub.close();
  });
  it('leaves out a member whose replay ran ahead of the live stream until the stream passes it', async () => {
    const log: string[] = [];
    const live = laggingLive();
    const hub = new Hub({ allowAnonymous: true, rateLimit: false, broker: live.broker });
    const { open } = fakeRooms(log);
    const early = await open(hub, 'early');
    await early.session.handle({ op: 'subscribe', channel: 'c' });
    live.hold();
    for (const n of [1, 2]) await hub.broker.append(message(n));
    // `late` replays 1 and 2 from storage before their live events reach this process.
    const late = await open(hub, 'late');
    await late.session.handle({ op: 'subscribe', channel: 'c', resumeFrom: 0 });
    expect(late.link.got).toEqual([1, 2]);
    live.release();
    await hub.broker.append(message(3));
    expect(early.link.got).toEqual([1, 2, 3]);
    expect(late.link.got).toEqual([1, 2, 3]);
    expect(log.filter((line) => line.startsWith('broadcast'))).toEqual([
      `broadcast 1 except [${late.session.id}]`,
      `broadcast 2 except [${late.session.id}]`,
      'broadcast 3 except []',
    ]);
    await hub.close();
  });

  it("resyncs every member when the channel's sequence restarts, then broadcasts again", async () => {
    const log: string[] = [];
    const store = restartableBroker();
    const hub = new Hub({ allowAnonymous: true, rateLimit: false, broker: store.broker });
    const { open } = fakeRooms(log);
    const readers = [await open(hub, 'a'), await open(hub, 'b')];
    const discontinuities: string[] = [];
    for (const { link, session } of readers) {
      const send = link.send;
      link.send = (frame) => {
        if (frame.type === 'discontinuity') discontinuities.push(session.id);
        send(frame);
      };
      await session.handle({ op: 'subscribe', channel: 'c' });
    }
    for (const n of [1, 2]) await hub.broker.append(message(n));
    store.restart();
    await hub.broker.append(message(10)); // stored as seq 1 of the new epoch
    await vi.waitFor(() => expect(log.filter((line) => line.endsWith('joins c'))).toHaveLength(4));
    await hub.broker.append(message(11));
    for (const { link } of readers) expect(link.got).toEqual([1, 2, 1, 2]);
    expect(discontinuities.sort()).toEqual(readers.map(({ session }) => session.id).sort());
    expect(log.filter((line) => line.startsWith('broadcast'))).toEqual([
      'broadcast 1 except []',
      'broadcast 2 except []',
      'broadcast 2 except []',
    ]);
    await hub.close();
  });
});

function message(n: number) {
  return { channel: 'c', id: `m-${n}`, event: 'e', data: n, timestamp: n };
}
