import type { ConnectionSnapshot, RealtimeClient } from '@patchbay/realtime-core';
import { sleep, waitFor, waitForState } from '@patchbay/realtime-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { transportsTried } from './internal/transportFailures.js';
import { createPusherHarness } from './testHarness.js';

// The real pusher-js against the Pusher emulator, with timeouts far above the backoff: an attempt
// that waited for pusher-js's `unavailable` (or core's connect timeout) would take 10 s here.
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT = { baseDelayMs: 100, maxDelayMs: 300, connectTimeoutMs: CONNECT_TIMEOUT_MS };

describe('pusher: reconnection follows core’s backoff, not pusher-js’s own retries', () => {
  const harness = createPusherHarness({
    publish: 'endpoint',
    transport: { connectTimeoutMs: CONNECT_TIMEOUT_MS },
  });
  const clients: RealtimeClient[] = [];
  const client = async (clientId: string) => {
    const created = await harness.createClient({ clientId, reconnect: RECONNECT });
    clients.push(created);
    return created;
  };
  const record = (target: RealtimeClient) => {
    const log: Array<ConnectionSnapshot & { at: number }> = [];
    target.connection.subscribe(() =>
      log.push({ ...target.connection.getSnapshot(), at: Date.now() }),
    );
    return log;
  };

  beforeAll(() => harness.setup?.());
  afterEach(async () => {
    for (const each of clients.splice(0)) each.close();
    await harness.startServer();
  });
  afterAll(() => harness.teardown?.());

  it('while the server is down each attempt fails at once and shows as reconnecting; back well within the backoff of the restart', async () => {
    const subscriber = await client('latency');
    const log = record(subscriber);
    await subscriber.connect();
    await waitForState(subscriber, 'connected');

    const stoppedAt = Date.now();
    await harness.stopServer();
    // With a 100–300 ms backoff, several attempts fit in a second; the old code needed one
    // connect timeout (10 s) per attempt.
    await waitFor('three failed attempts', () => subscriber.connection.getSnapshot().attempt >= 4, {
      timeoutMs: 5_000,
    });
    const down = subscriber.connection.getSnapshot();
    expect(down.state).toBe('reconnecting');
    expect(down.error).toMatchObject({ code: 'connection_failed', retryable: true });
    expect(down.error?.message).toMatch(/Could not reach Pusher at ws:\/\/127\.0\.0\.1:\d+/);

    // Every attempt is visible: a `reconnecting` snapshot per attempt, numbered in order, each
    // retry scheduled within core's ceiling.
    const outage = log.filter((s) => s.at >= stoppedAt && s.state === 'reconnecting');
    const attempts = [...new Set(outage.map((s) => s.attempt))];
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    for (const s of outage) {
      if (s.nextAttemptAt !== undefined) expect(s.nextAttemptAt - s.since).toBeLessThanOrEqual(300);
    }
    expect(Date.now() - stoppedAt).toBeLessThan(CONNECT_TIMEOUT_MS);

    await sleep(500);
    await harness.startServer();
    const restartedAt = Date.now();
    await waitForState(subscriber, 'connected', { timeoutMs: CONNECT_TIMEOUT_MS });
    const backAfterMs = Date.now() - restartedAt;
    // One backoff (≤ 300 ms) plus a connect and sign-in; generous for a loaded 2-core machine.
    expect(backAfterMs).toBeLessThan(3_000);
    expect(subscriber.connection.getSnapshot()).toMatchObject({ attempt: 0, clientId: 'latency' });
  });

  it('an abandoned pusher-js client never dials again by itself (no second subscription)', async () => {
    const subscriber = await client('no-zombie');
    await subscriber.connect();
    subscriber.channel('zombie').subscribe(() => {});
    await subscriber.channel('zombie').ready();
    expect(await harness.providerSubscriptionCount('zombie')).toBe(1);

    // A drop once connected (pusher-js would retry in 1 s), and an outage with attempts failing.
    await harness.dropLink(subscriber);
    await waitForState(subscriber, 'connected', { timeoutMs: 5_000 });
    await harness.stopServer();
    await waitFor('a failed attempt', () => subscriber.connection.getSnapshot().attempt >= 2, {
      timeoutMs: 5_000,
    });
    await harness.startServer();
    await waitForState(subscriber, 'connected', { timeoutMs: 5_000 });
    await subscriber.channel('zombie').ready();
    // pusher-js's own retries run 1 s after a drop: give any leftover client time to show up.
    await sleep(1_500);
    expect(await harness.providerSubscriptionCount('zombie')).toBe(1);
  });
});

describe('pusher: a refusal during the handshake is final, not retried', () => {
  // The emulator answers an unknown key with pusher:error 4001 and a 4001 close, as Pusher does.
  const harness = createPusherHarness({
    publish: 'endpoint',
    transport: { key: 'not-this-app', connectTimeoutMs: CONNECT_TIMEOUT_MS },
  });
  beforeAll(() => harness.setup?.());
  afterAll(() => harness.teardown?.());

  it('an unknown app key fails at once with invalid_config, without waiting for a timeout', async () => {
    const client = await harness.createClient({ clientId: 'wrong-key', reconnect: RECONNECT });
    try {
      const startedAt = Date.now();
      await client.connect().catch(() => {});
      await waitForState(client, 'failed', { timeoutMs: CONNECT_TIMEOUT_MS });
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      const { error } = client.connection.getSnapshot();
      expect(error).toMatchObject({ code: 'invalid_config', retryable: false });
      expect(error?.message).toMatch(/4001/);
    } finally {
      client.close();
    }
  });
});

describe('transportsTried (how many transports pusher-js dials before it retries one)', () => {
  it('counts what pusher-js 8’s default strategy would try', () => {
    expect(transportsTried({ useTLS: false, enabledTransports: ['ws'] })).toBe(1);
    expect(transportsTried({ useTLS: true, enabledTransports: ['ws', 'wss'] })).toBe(1);
    expect(transportsTried({ useTLS: false, enabledTransports: ['ws', 'wss'] })).toBe(2);
    // Defaults: ws (+ wss in plain text), then xhr streaming and polling.
    expect(transportsTried({ useTLS: true })).toBe(3);
    expect(transportsTried({ useTLS: false })).toBe(4);
    expect(
      transportsTried({ useTLS: true, disabledTransports: ['xhr_polling', 'xdr_polling'] }),
    ).toBe(2);
    // wss is only tried beside ws.
    expect(transportsTried({ useTLS: false, enabledTransports: ['wss', 'xhr_polling'] })).toBe(1);
    expect(transportsTried({ enabledTransports: [] })).toBe(0);
  });
});
