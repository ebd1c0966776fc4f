import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime, type RealtimeOptions } from './createRealtime.js';
import { fakeTimers, fakeTransport, flush } from './internal/testing/fakeTransport.js';
import { PRESENCE_UPDATE_EVENT } from './message.js';
import type { PresenceEvent } from './presenceSet.js';
import type { TransportCapabilities, TransportMessage, TransportSink } from './transport/types.js';

/**
 * Where the provider reports a dropped member at once (Pusher), core holds the leave on the
 * receiving side: a member whose link comes back within the grace is never seen leaving.
 */
async function watching(
  capabilities: Partial<TransportCapabilities> = {},
  options: Partial<RealtimeOptions> = {},
) {
  let sink: TransportSink | undefined;
  const watchPresence = vi.fn(async () => {});
  const transport = fakeTransport({
    capabilities: { presenceGrace: false, ...capabilities },
    connect: async (request) => {
      sink = request.sink;
      return { clientId: 'bob' };
    },
    watchPresence,
  });
  const client = createRealtime({
    transport,
    timers: fakeTimers,
    connectivity: noConnectivitySignals,
    ...options,
  });
  await client.connect();
  const presence = client.channel('room').presence;
  const events: PresenceEvent[] = [];
  presence.onEvent((event) => events.push(event));
  await client.channel('room').ready();
  const send = (event: Parameters<TransportSink['presence']>[1]) => sink?.presence('room', event);
  return {
    client,
    send,
    message: (message: TransportMessage) => sink?.message(message),
    watchPresence,
    types: () => events.filter((e) => e.type !== 'sync').map((e) => e.type),
    members: () => presence.getSnapshot().map((m) => [m.clientId, m.data, m.connections]),
  };
}

const alice = (connectionId: string, data: unknown = { v: 1 }) => ({
  clientId: 'alice',
  connectionId,
  data,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('presence leaves held for the grace where the provider has none', () => {
  it('a member dropped and back on a new connection within the grace never leaves', async () => {
    const t = await watching();
    t.send({ type: 'enter', member: alice('a1') });
    t.send({ type: 'leave', member: alice('a1') });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(t.members()).toEqual([['alice', { v: 1 }, 1]]);
    t.send({ type: 'enter', member: alice('a2') });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.types()).toEqual(['enter']);
    expect(t.members()).toEqual([['alice', { v: 1 }, 1]]);
  });

  it('a member who does not come back leaves when the grace ends (default 5 s)', async () => {
    const t = await watching();
    t.send({ type: 'enter', member: alice('a1') });
    t.send({ type: 'leave', member: alice('a1') });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(t.types()).toEqual(['enter']);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.types()).toEqual(['enter', 'leave']);
    expect(t.members()).toEqual([]);
  });

  it('a deliberate leave shows at once', async () => {
    const t = await watching();
    t.send({ type: 'enter', member: alice('a1') });
    t.send({ type: 'leave', member: alice('a1'), deliberate: true });
    expect(t.types()).toEqual(['enter', 'leave']);
  });

  it('follows presence.leaveGraceMs, and 0 shows every leave at once', async () => {
    const t = await watching({}, { presence: { leaveGraceMs: 0 } });
    t.send({ type: 'enter', member: alice('a1') });
    t.send({ type: 'leave', member: alice('a1') });
    expect(t.types()).toEqual(['enter', 'leave']);
  });

  it('a member missing from a sync is held too, and kept when it is back in time', async () => {
    const t = await watching();
    t.send({ type: 'sync', members: [alice('a1')] });
    t.send({ type: 'sync', members: [] });
    expect(t.members()).toEqual([['alice', { v: 1 }, 1]]);
    t.send({ type: 'sync', members: [alice('a2')] });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.types()).toEqual(['enter']);
    expect(t.members()).toEqual([['alice', { v: 1 }, 1]]);
  });

  it('a sync listing a member on a new connection drops its old one quietly, holding nothing', async () => {
    const t = await watching();
    t.send({ type: 'sync', members: [alice('a1')] });
    t.send({ type: 'sync', members: [alice('a2')] });
    expect(t.members()).toEqual([['alice', { v: 1 }, 1]]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.types()).toEqual(['enter']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('where the provider holds members itself, a leave shows at once', async () => {
    const t = await watching({ presenceGrace: true });
    t.send({ type: 'enter', member: alice('a1') });
    t.send({ type: 'leave', member: alice('a1') });
    expect(t.types()).toEqual(['enter', 'leave']);
  });
});

describe('emulated presence updates', () => {
  it('a sync with enter-time data does not take a member back to older data', async () => {
    const t = await watching({ presenceUpdate: false });
    t.send({ type: 'enter', member: alice('a1', { v: 1 }) });
    // Alice's emulated update reached us; the provider's list still holds her enter-time data.
    t.message({
      channel: 'room',
      id: 'u1',
      event: PRESENCE_UPDATE_EVENT,
      data: { data: { v: 2 } },
      clientId: 'alice',
      ephemeral: true,
    });
    t.send({ type: 'sync', members: [alice('a1', { v: 1 })] });
    expect(t.members()).toEqual([['alice', { v: 2 }, 1]]);
    expect(t.types()).toEqual(['enter', 'update']);
  });
});

describe('presence use reaches the transport after the attach', () => {
  it('tells the transport when the first watcher comes and the last goes', async () => {
    const t = await watching();
    // The watcher from setup was there at the attach: nothing to tell yet.
    expect(t.watchPresence).not.toHaveBeenCalled();
    const channel = t.client.channel('lobby');
    const offMessages = channel.subscribe(() => {});
    await channel.ready();
    const offMembers = channel.presence.subscribe(() => {});
    await flush();
    expect(t.watchPresence).toHaveBeenLastCalledWith('lobby', true);
    offMembers();
    await flush();
    expect(t.watchPresence).toHaveBeenLastCalledWith('lobby', false);
    offMessages();
  });

  it('counts typing as presence use: typing signals travel with presence (Pusher)', async () => {
    const t = await watching();
    const channel = t.client.channel('lobby');
    const offMessages = channel.subscribe(() => {});
    await channel.ready();
    const offTyping = channel.typing.subscribe(() => {});
    await flush();
    expect(t.watchPresence).toHaveBeenLastCalledWith('lobby', true);
    offTyping();
    await flush();
    expect(t.watchPresence).toHaveBeenLastCalledWith('lobby', false);
    channel.typing.start();
    channel.typing.stop();
    await flush();
    // A typist stays on it until the channel detaches, rather than joining for every burst.
    expect(t.watchPresence).toHaveBeenLastCalledWith('lobby', true);
    offMessages();
  });
});
