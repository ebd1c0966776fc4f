import { expect, it, vi } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep, waitFor, waitForState } from '../waitFor.js';

export function reconnectTests(ctx: SuiteContext): void {
  it('a dropped link goes reconnecting, then connected with attempt reset to 0', async () => {
    const client = await ctx.connected();
    const states: string[] = [];
    client.connection.subscribe(() => states.push(client.connection.getSnapshot().state));
    await ctx.drop(client);
    await ctx.reconnected(client);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    expect(client.connection.getSnapshot().attempt).toBe(0);
  });

  it('during an outage attempts count up with the error, and the client recovers when the server returns', async () => {
    const client = await ctx.connected();
    await ctx.stopServer();
    await waitFor('a second failed attempt', () => client.connection.getSnapshot().attempt >= 3, {
      timeoutMs: 8_000,
    });
    const during = client.connection.getSnapshot();
    expect(during.state).toBe('reconnecting');
    expect(during.error).toBeDefined();
    expect(during.error?.retryable).toBe(true);
    await ctx.startServer();
    await waitForState(client, 'connected', { timeoutMs: 8_000 });
    expect(client.connection.getSnapshot().attempt).toBe(0);
  });

  it('backoff waits grow between attempts (full jitter within the exponential ceiling)', async () => {
    // random() = 1 − ε pins each delay to just under its ceiling: 40, 80, 160 ms.
    const client = await ctx.connected({
      reconnect: { baseDelayMs: 40, maxDelayMs: 1_000 },
      random: () => 0.999,
    });
    await ctx.stopServer();
    const scheduled: number[] = [];
    client.connection.subscribe(() => {
      const s = client.connection.getSnapshot();
      if (s.state === 'reconnecting' && s.nextAttemptAt !== undefined)
        scheduled.push(s.nextAttemptAt - s.since);
    });
    await waitFor('three scheduled retries', () => scheduled.length >= 3, { timeoutMs: 8_000 });
    const [first, second, third] = scheduled as [number, number, number];
    expect(first).toBeLessThan(80);
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    expect(third).toBeLessThanOrEqual(320);
  });

  it('gives up with reconnect_exhausted after reconnect.maxAttempts failures', async () => {
    const client = await ctx.connected({
      reconnect: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    await ctx.stopServer();
    await waitForState(client, 'failed', { timeoutMs: 8_000 });
    const snapshot = client.connection.getSnapshot();
    expect(snapshot.error?.code).toBe('reconnect_exhausted');
    expect(snapshot.error?.message).toMatch(/connect\(\)/);
  });

  it('auth() runs again before every reconnect that needs credentials, so a refreshed token is used', async () => {
    let issued = 0;
    const auth = vi.fn(async () => `refresh-user.v${++issued}`);
    const client = await ctx.connected({ clientId: 'refresh-user', auth });
    expect(auth).toHaveBeenCalledTimes(1);
    await ctx.drop(client);
    await ctx.reconnected(client);
    expect(client.connection.getSnapshot().clientId).toBe('refresh-user');
    // A persistent transport's vendor client asks when it needs credentials: Pusher for every
    // new socket, Ably when its token is about to expire (a resumed session keeps a valid one).
    // Each adapter's own tests hold it to that; here, the identity survives the reconnect.
    if (ctx.harness.linkMode !== 'persistent') {
      expect(auth.mock.calls.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('an app-closed client ignores outages (no retries while disconnected)', async () => {
    const client = await ctx.connected();
    client.close();
    await ctx.stopServer();
    await ctx.startServer();
    await sleep(100);
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'disconnected', attempt: 0 });
  });
}
