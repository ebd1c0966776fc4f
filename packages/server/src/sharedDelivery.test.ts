import { describe, expect, it } from 'vitest';
import type { Broker } from './broker.js';
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
});

function message(n: number) {
  return { channel: 'c', id: `m-${n}`, event: 'e', data: n, timestamp: n };
}
