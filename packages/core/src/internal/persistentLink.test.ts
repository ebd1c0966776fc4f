import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../codes.js';
import { createRealtime, type RealtimeOptions } from '../createRealtime.js';
import { AuthError, ConnectionError } from '../errors.js';
import type { TransportConnection, TransportConnectRequest } from '../transport/types.js';
import { fakeTimers, fakeTransport, flush } from './testing/fakeTransport.js';

const dropped = () =>
  new ConnectionError(ErrorCodes.ConnectionLost, 'socket closed', { retryable: true });

/** A transport whose vendor client reconnects by itself; the test plays the vendor. */
function setup(options: Partial<RealtimeOptions> = {}) {
  const requests: TransportConnectRequest[] = [];
  let settle: { resolve(c: TransportConnection): void; reject(e: unknown): void } | undefined;
  const transport = fakeTransport({
    connect: (request) => {
      requests.push(request);
      return new Promise((resolve, reject) => {
        settle = { resolve, reject };
      });
    },
    disconnect: vi.fn(),
    subscribe: vi.fn(async () => ({ recovered: true })),
    reconnectNow: vi.fn(),
  });
  Object.assign(transport, { linkMode: 'persistent' });
  let online: (() => void) | undefined;
  const client = createRealtime({
    transport,
    clientId: 'alice',
    timers: fakeTimers,
    random: () => 0.5,
    reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, connectTimeoutMs: 2_000 },
    connectivity: {
      subscribe: (kick) => {
        online = kick;
        return () => {};
      },
    },
    ...options,
  });
  const states: string[] = [];
  client.connection.subscribe(() => {
    const { state, attempt } = client.connection.getSnapshot();
    states.push(`${state}:${attempt}`);
  });
  const sink = () => {
    const request = requests.at(-1);
    if (!request) throw new Error('no connect() yet');
    return request.sink;
  };
  return {
    transport,
    client,
    requests,
    states,
    sink,
    online: () => online?.(),
    resolve: (c: TransportConnection) => settle?.resolve(c),
    reject: (e: unknown) => settle?.reject(e),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a persistent transport keeps its vendor client through a blip', () => {
  it('maps the vendor reconnecting and coming back onto the state store, with one connect()', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.resolve({ clientId: 'alice', connectionId: 'c1' });
    await connected;
    t.sink().reconnecting?.({ error: dropped() });
    t.sink().reconnecting?.({ error: dropped(), nextAttemptAt: Date.now() + 700 });
    expect(t.client.connection.getSnapshot()).toMatchObject({
      state: 'reconnecting',
      attempt: 2,
      nextAttemptAt: Date.now() + 700,
    });
    // Core does not time out or replace the vendor's attempts.
    await vi.advanceTimersByTimeAsync(60_000);
    t.sink().reconnected?.({ resumed: true, clientId: 'alice', connectionId: 'c1' });
    await flush();
    expect(t.states).toEqual([
      'connecting:1',
      'connected:0',
      'reconnecting:1',
      'reconnecting:2',
      'connected:0',
    ]);
    expect(t.requests).toHaveLength(1);
    expect(t.transport.disconnect).not.toHaveBeenCalled();
  });

  it('re-attaches live channels after the vendor reconnects, and pauses publishing meanwhile', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.resolve({ clientId: 'alice' });
    await connected;
    const channel = t.client.channel('room');
    channel.subscribe(() => {});
    await channel.ready();
    t.sink().reconnecting?.({ error: dropped() });
    expect(channel.state.getSnapshot().state).toBe('attaching');
    const publishing = channel.publish('message', { text: 'queued' });
    await flush();
    expect(t.client.queue.getSnapshot()).toMatchObject({ size: 1, sending: 0 });
    t.sink().reconnected?.({ resumed: true });
    await expect(publishing).resolves.toBeUndefined();
    expect(channel.state.getSnapshot().state).toBe('attached');
    expect(t.transport.subscribe).toHaveBeenCalledTimes(2);
  });

  it('fails the first connect only when retrying cannot help; vendor retries before it count as attempts', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.sink().reconnecting?.({ error: dropped() });
    t.sink().reconnecting?.({ error: dropped() });
    expect(t.client.connection.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 3 });
    const denied = new AuthError('token refused');
    t.reject(denied);
    await expect(connected).rejects.toBe(denied);
    expect(t.client.connection.getSnapshot()).toMatchObject({ state: 'failed', error: denied });
  });

  it('gives up after reconnect.maxAttempts vendor attempts and closes the vendor client', async () => {
    const t = setup({ reconnect: { maxAttempts: 3 } });
    const connected = t.client.connect();
    await flush();
    t.resolve({});
    await connected;
    // The drop, then attempts 1, 2 and 3 failing.
    for (let i = 0; i < 3; i++) t.sink().reconnecting?.({ error: dropped() });
    expect(t.client.connection.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 3 });
    t.sink().reconnecting?.({ error: dropped() });
    expect(t.client.connection.getSnapshot().state).toBe('failed');
    expect(t.client.connection.getSnapshot().error?.code).toBe(ErrorCodes.ReconnectExhausted);
    expect(t.transport.disconnect).toHaveBeenCalled();
  });

  it('takes over with its own attempts when the vendor client gives up (sink.lost)', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.resolve({});
    await connected;
    t.sink().lost(dropped());
    expect(t.client.connection.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 1 });
    await vi.advanceTimersByTimeAsync(50);
    expect(t.requests).toHaveLength(2);
  });

  it('fails when the vendor client gives up with an error retrying cannot fix', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.resolve({});
    await connected;
    const revoked = new AuthError('token revoked');
    t.sink().lost(revoked);
    expect(t.client.connection.getSnapshot()).toMatchObject({ state: 'failed', error: revoked });
    expect(t.transport.disconnect).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.requests).toHaveLength(1);
  });

  it('asks the vendor to retry now when the network comes back', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.resolve({});
    await connected;
    t.sink().reconnecting?.({ error: dropped() });
    t.online();
    expect(t.transport.reconnectNow).toHaveBeenCalledTimes(1);
  });

  it('passes the app reconnect policy and a token refresher to the transport', async () => {
    let issued = 0;
    const t = setup({ auth: () => `token-${++issued}` });
    void t.client.connect();
    await flush();
    const request = t.requests[0] as TransportConnectRequest;
    expect(request.token).toBe('token-1');
    await expect(request.refreshToken()).resolves.toBe('token-2');
    expect(request.reconnect).toMatchObject({
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      connectTimeoutMs: 2_000,
    });
    // random 0.5: half of min(1000, 100 · 2^failures).
    expect([0, 1, 2, 5].map((failures) => request.reconnect.delayMs(failures))).toEqual([
      50, 100, 200, 500,
    ]);
  });
});
