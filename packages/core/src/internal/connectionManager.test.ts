import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../codes.js';
import type { ConnectionSnapshot } from '../connectionState.js';
import { noConnectivitySignals } from '../connectivity.js';
import { createRealtime, type RealtimeClient, type RealtimeOptions } from '../createRealtime.js';
import { AuthError, ConnectionError } from '../errors.js';
import { controlledTransport, fakeTimers, flush, serverDown } from './testing/fakeTransport.js';

function setup(options: Partial<RealtimeOptions> = {}) {
  const fake = controlledTransport();
  const client: RealtimeClient = createRealtime({
    transport: fake.transport,
    clientId: 'alice',
    timers: fakeTimers,
    random: () => 0.5,
    reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, connectTimeoutMs: 60_000 },
    connectivity: noConnectivitySignals,
    ...options,
  });
  const states: Array<Pick<ConnectionSnapshot, 'state' | 'attempt'>> = [];
  client.connection.subscribe(() => {
    const { state, attempt } = client.connection.getSnapshot();
    states.push({ state, attempt });
  });
  return { ...fake, client, states, snapshot: () => client.connection.getSnapshot() };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connection states and backoff', () => {
  it('goes idle → connecting → reconnecting (attempt 2, 3) → connected while the server is down', async () => {
    const t = setup();
    expect(t.snapshot()).toMatchObject({ state: 'idle', attempt: 0 });
    const connected = t.client.connect();
    await flush();
    t.last().reject(serverDown());
    await flush();
    await vi.advanceTimersByTimeAsync(100);
    t.last().reject(serverDown());
    await flush();
    await vi.advanceTimersByTimeAsync(200);
    t.last().resolve({ clientId: 'alice', connectionId: 'c1' });
    await expect(connected).resolves.toBeUndefined();
    expect(t.attempts).toHaveLength(3);
    expect(t.states.map((s) => `${s.state}:${s.attempt}`)).toEqual([
      'connecting:1',
      'reconnecting:2',
      'reconnecting:2',
      'reconnecting:3',
      'reconnecting:3',
      'connected:0',
    ]);
    expect(t.snapshot()).toMatchObject({
      state: 'connected',
      attempt: 0,
      clientId: 'alice',
      connectionId: 'c1',
    });
    expect(t.snapshot().error).toBeUndefined();
  });

  it('waits exactly the jittered delay, doubling per failure up to maxDelayMs', async () => {
    const t = setup();
    void t.client.connect();
    await flush();
    // random 0.5 → half of min(1000, 100·2^failures): 100, 200, 400, 500, 500.
    for (const expected of [100, 200, 400, 500, 500]) {
      const calls = t.attempts.length;
      t.last().reject(serverDown());
      await flush();
      expect(t.snapshot().state).toBe('reconnecting');
      expect(t.snapshot().error?.code).toBe(ErrorCodes.ConnectionFailed);
      expect((t.snapshot().nextAttemptAt ?? 0) - Date.now()).toBe(expected);
      await vi.advanceTimersByTimeAsync(expected - 1);
      expect(t.attempts).toHaveLength(calls);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.attempts).toHaveLength(calls + 1);
    }
  });

  it('never waits longer than min(max, base·2^failures), even with the largest random draw', async () => {
    const t = setup({ random: () => 1 - Number.EPSILON });
    void t.client.connect();
    await flush();
    for (const ceiling of [200, 400, 800, 1_000]) {
      const calls = t.attempts.length;
      t.last().reject(serverDown());
      await flush();
      await vi.advanceTimersByTimeAsync(ceiling - 1);
      expect(t.attempts).toHaveLength(calls + 1);
    }
  });

  it('resets attempt to 0 on connected and starts the next loss from the base delay', async () => {
    const t = setup();
    void t.client.connect();
    await flush();
    t.last().reject(serverDown());
    await vi.advanceTimersByTimeAsync(100);
    t.last().reject(serverDown());
    await vi.advanceTimersByTimeAsync(200);
    t.last().resolve({ clientId: 'alice' });
    await flush();
    expect(t.snapshot()).toMatchObject({ state: 'connected', attempt: 0 });

    const lost = new ConnectionError(ErrorCodes.ConnectionLost, 'socket closed', {
      retryable: true,
    });
    t.last().request.sink.lost(lost);
    expect(t.snapshot()).toMatchObject({ state: 'reconnecting', attempt: 1, error: lost });
    const calls = t.attempts.length;
    await vi.advanceTimersByTimeAsync(49);
    expect(t.attempts).toHaveLength(calls);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.attempts).toHaveLength(calls + 1);
  });

  it('fails with reconnect_exhausted after maxAttempts and stops retrying', async () => {
    const t = setup({ reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 3 } });
    const connected = t.client.connect();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      t.last().reject(serverDown());
    }
    await flush();
    expect(t.snapshot().state).toBe('failed');
    expect(t.snapshot().error?.code).toBe(ErrorCodes.ReconnectExhausted);
    expect(t.snapshot().error?.message).toContain('client.connect()');
    await expect(connected).rejects.toMatchObject({ code: ErrorCodes.ReconnectExhausted });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.attempts).toHaveLength(3);
  });

  it('fails at once, without retrying, when connect() rejects with an AuthError', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    const denied = new AuthError('token expired');
    t.last().reject(denied);
    await expect(connected).rejects.toBe(denied);
    expect(t.snapshot()).toMatchObject({ state: 'failed', error: denied });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.attempts).toHaveLength(1);
  });

  it('counts an attempt slower than connectTimeoutMs as failed and retries', async () => {
    const t = setup({
      reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, connectTimeoutMs: 2_000 },
    });
    void t.client.connect();
    await flush();
    const slow = t.last();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(t.snapshot().state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.snapshot()).toMatchObject({ state: 'reconnecting', attempt: 2 });
    expect(t.snapshot().error?.code).toBe(ErrorCodes.ConnectionFailed);
    expect(t.snapshot().error?.message).toContain('connectTimeoutMs');
    expect(slow.request.signal.aborted).toBe(true);
    slow.resolve({ clientId: 'alice' });
    await flush();
    expect(t.snapshot().state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(100);
    expect(t.attempts).toHaveLength(2);
  });
});
