import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../codes.js';
import type { ConnectionSnapshot } from '../connectionState.js';
import { createRealtime, type RealtimeClient, type RealtimeOptions } from '../createRealtime.js';
import { AuthError, ConnectionError } from '../errors.js';
import { controlledTransport, fakeTimers, flush, serverDown } from './testing/fakeTransport.js';

let kick: (() => void) | undefined;

function setup(options: Partial<RealtimeOptions> = {}) {
  const fake = controlledTransport();
  const client: RealtimeClient = createRealtime({
    transport: fake.transport,
    clientId: 'alice',
    timers: fakeTimers,
    random: () => 0.5,
    reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, connectTimeoutMs: 60_000 },
    connectivity: {
      subscribe(k) {
        kick = k;
        return () => {
          kick = undefined;
        };
      },
    },
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
  kick = undefined;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('what starts and stops connection attempts', () => {
  it('calls auth() before every attempt and passes the fresh token to the transport', async () => {
    let n = 0;
    const auth = vi.fn(async () => `token-${++n}`);
    const t = setup({ auth });
    void t.client.connect();
    await flush();
    t.last().reject(serverDown());
    await vi.advanceTimersByTimeAsync(100);
    t.last().resolve({ clientId: 'alice' });
    await flush();
    t.last().request.sink.lost(
      new ConnectionError(ErrorCodes.ConnectionLost, 'gone', { retryable: true }),
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(auth).toHaveBeenCalledTimes(3);
    expect(t.attempts.map((a) => a.request.token)).toEqual(['token-1', 'token-2', 'token-3']);
  });

  it('fails without connecting when auth() throws an AuthError', async () => {
    const t = setup({ auth: () => Promise.reject(new AuthError('signed out')) });
    const connected = t.client.connect();
    await expect(connected).rejects.toBeInstanceOf(AuthError);
    expect(t.snapshot().state).toBe('failed');
    expect(t.attempts).toHaveLength(0);
  });

  it('retries with backoff when auth() throws an ordinary error (token server down)', async () => {
    let calls = 0;
    const t = setup({
      auth: async () => {
        calls++;
        if (calls === 1) throw new Error('token endpoint 503');
        return 'fresh';
      },
    });
    void t.client.connect();
    await flush();
    expect(t.snapshot().state).toBe('reconnecting');
    expect(t.snapshot().error?.message).toContain('token endpoint 503');
    expect(t.attempts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.attempts.map((a) => a.request.token)).toEqual(['fresh']);
  });

  it('ignores connectivity signals while connected or mid-attempt', async () => {
    const t = setup();
    void t.client.connect();
    await flush();
    kick?.();
    await flush();
    expect(t.attempts).toHaveLength(1);
    t.last().resolve({ clientId: 'alice' });
    await flush();
    kick?.();
    await flush();
    expect(t.attempts).toHaveLength(1);
    expect(t.snapshot().state).toBe('connected');
  });

  it('attempts immediately when connectivity comes back during a backoff wait', async () => {
    const t = setup({
      reconnect: { baseDelayMs: 10_000, maxDelayMs: 30_000, connectTimeoutMs: 60_000 },
    });
    void t.client.connect();
    await flush();
    t.last().reject(serverDown());
    await flush();
    expect(t.snapshot().state).toBe('reconnecting');
    expect(kick).toBeTypeOf('function');
    kick?.();
    await flush();
    expect(t.attempts).toHaveLength(2);
    // The cancelled backoff timer must not start a second, overlapping attempt.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.attempts).toHaveLength(2);
    t.last().resolve({ clientId: 'alice' });
    await flush();
    expect(t.snapshot().state).toBe('connected');
  });

  it('close() moves to disconnected and makes no more attempts', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().reject(serverDown());
    await flush();
    t.client.close();
    expect(t.snapshot()).toMatchObject({ state: 'disconnected', attempt: 0 });
    await expect(connected).rejects.toMatchObject({ code: ErrorCodes.ConnectionClosed });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.attempts).toHaveLength(1);
    expect(kick).toBeUndefined();
  });

  it('close() during an attempt aborts it, and a late success does not reconnect', async () => {
    const t = setup();
    void t.client.connect();
    await flush();
    const attempt = t.last();
    t.client.close();
    expect(attempt.request.signal.aborted).toBe(true);
    attempt.resolve({ clientId: 'alice' });
    await flush();
    expect(t.snapshot().state).toBe('disconnected');
    expect(t.transport.disconnect).toHaveBeenCalled();
  });
});
