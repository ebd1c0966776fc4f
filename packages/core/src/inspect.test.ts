import { describe, expect, it } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { inspect } from './inspect.js';
import { createMemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function setup() {
  const hub = createMemoryHub();
  const make = (clientId: string) =>
    createRealtime({
      transport: memoryTransport({ hub }),
      clientId,
      connectivity: noConnectivitySignals,
      reconnect: { baseDelayMs: 10, maxDelayMs: 20 },
    });
  return { hub, alice: make('alice'), bob: make('bob') };
}

describe('inspect', () => {
  it('shows live channels with holds, attach state, members, and messages as they arrive', async () => {
    const { hub, alice, bob } = setup();
    const inspector = inspect(alice);
    expect(inspect(alice)).toBe(inspector);
    await Promise.all([alice.connect(), bob.connect()]);
    const room = alice.channel('room');
    const off = room.subscribe(() => {});
    const leave = room.presence.hold({ name: 'Alice' });
    await room.ready();
    const bobRoom = bob.channel('room');
    const offBob = bobRoom.subscribe(() => {});
    await bobRoom.ready();
    await bobRoom.presence.enter({ name: 'Bob' });
    await bobRoom.publish('message', { text: 'hi' });
    await settle();

    const { connection, channels, provider } = inspector.getSnapshot();
    expect(provider).toBe('memory');
    expect(connection.state).toBe('connected');
    expect(channels).toHaveLength(1);
    const [channel] = channels;
    expect(channel?.name).toBe('room');
    expect(channel?.holds).toBe(2);
    expect(channel?.state.state).toBe('attached');
    expect(channel?.members.map((member) => member.clientId).sort()).toEqual(['alice', 'bob']);
    expect(channel?.messages).toMatchObject([
      { event: 'message', clientId: 'bob', size: '{"text":"hi"}'.length },
    ]);
    inspector.clear();
    expect(inspector.getSnapshot().channels[0]?.messages).toEqual([]);

    off();
    leave.release();
    offBob();
    await settle();
    expect(inspector.getSnapshot().channels).toEqual([]);
    alice.close();
    bob.close();
    hub.stop();
  });

  it('returns the same snapshot until something changed, with or without listeners', async () => {
    const { hub, alice, bob } = setup();
    const inspector = inspect(alice);
    await alice.connect();
    // React's useSyncExternalStore reads twice before it subscribes: the reads must agree.
    const first = inspector.getSnapshot();
    expect(inspector.getSnapshot()).toBe(first);
    const room = alice.channel('room');
    const off = room.subscribe(() => {});
    await room.ready();
    const withRoom = inspector.getSnapshot();
    expect(withRoom).not.toBe(first);
    expect(withRoom.channels.map((channel) => channel.name)).toEqual(['room']);
    expect(inspector.getSnapshot()).toBe(withRoom);
    const stop = inspector.subscribe(() => {});
    expect(inspector.getSnapshot()).toBe(withRoom);
    stop();
    off();
    alice.close();
    bob.close();
    hub.stop();
  });

  it('changes nothing: a channel the app released detaches while the inspector is watched', async () => {
    const { alice } = setup();
    const inspector = inspect(alice);
    const seen: unknown[] = [];
    const off = inspector.subscribe(() => seen.push(inspector.getSnapshot()));
    await alice.connect();
    const room = alice.channel('room');
    const release = room.hold();
    await room.ready();
    // While someone listens, channels are re-read every `pollMs`.
    await expect.poll(() => inspector.getSnapshot().channels[0]?.holds).toBe(1);
    release();
    await expect.poll(() => inspector.getSnapshot().channels).toEqual([]);
    expect(room.state.getSnapshot().state).toBe('detached');
    expect(seen.length).toBeGreaterThan(0);
    off();
    alice.close();
  });

  it('dropLink: the timeline shows reconnecting with an attempt, then connected again', async () => {
    const { alice } = setup();
    const inspector = inspect(alice);
    await alice.connect();
    inspector.dropLink();
    expect(inspector.getSnapshot().connection).toMatchObject({
      state: 'reconnecting',
      attempt: 1,
    });
    await expect.poll(() => inspector.getSnapshot().connection.state).toBe('connected');
    const states = inspector.getSnapshot().timeline.map((entry) => entry.state);
    expect(states).toEqual([
      'idle',
      'connecting',
      'connected',
      'reconnecting',
      'reconnecting',
      'connected',
    ]);
    expect(inspector.getSnapshot().errors).toEqual([]);
    alice.close();
  });
});
