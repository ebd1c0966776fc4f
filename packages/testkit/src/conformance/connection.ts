import type { ConnectionState } from '@patchbay/realtime-core';
import { expect, it } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep, waitForState } from '../waitFor.js';

export function connectionTests(ctx: SuiteContext): void {
  it('starts idle and does not connect until connect() is called', async () => {
    const client = await ctx.client();
    const channel = ctx.channelName('idle');
    client.channel(channel).subscribe(() => {});
    await sleep(50);
    expect(client.connection.getSnapshot().state).toBe('idle');
    expect(client.channel(channel).state.getSnapshot().state).toBe('attaching');
    expect(await ctx.harness.providerSubscriptionCount(channel)).toBe(0);
  });

  it('connect() moves connecting → connected and reports the authenticated identity', async () => {
    const client = await ctx.client({ clientId: 'conn-alice' });
    const seen: ConnectionState[] = [];
    client.connection.subscribe(() => seen.push(client.connection.getSnapshot().state));
    await client.connect();
    const snapshot = client.connection.getSnapshot();
    expect(seen).toEqual(['connecting', 'connected']);
    expect(snapshot).toMatchObject({ state: 'connected', attempt: 0, clientId: 'conn-alice' });
    expect(typeof snapshot.since).toBe('number');
    expect(snapshot.error).toBeUndefined();
  });

  it('close() ends in disconnected and never reconnects by itself', async () => {
    const client = await ctx.connected();
    client.close();
    expect(client.connection.getSnapshot().state).toBe('disconnected');
    await sleep(150);
    expect(client.connection.getSnapshot().state).toBe('disconnected');
  });

  it('connect() after close() connects again and live channels re-attach', async () => {
    const client = await ctx.connected();
    const channel = ctx.channelName('reopen');
    const received = await ctx.subscribed(client, channel, 'ping');
    client.close();
    expect(client.channel(channel).state.getSnapshot().state).toBe('detached');
    await client.connect();
    await client.channel(channel).ready();
    await ctx.harness.serverPublish(channel, 'ping', { n: 1 });
    await expect.poll(() => received.data).toEqual([{ n: 1 }]);
  });

  it('a refused token ends in failed with an AuthError that says what to do', async () => {
    await ctx.rejectAuth({ clientId: 'conn-mallory' });
    const client = await ctx.client({ clientId: 'conn-mallory' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'auth_rejected' });
    const snapshot = client.connection.getSnapshot();
    expect(snapshot.state).toBe('failed');
    expect(snapshot.error?.message.length).toBeGreaterThan(20);
  });

  it('connect() called twice makes one connection', async () => {
    const client = await ctx.client();
    const seen: ConnectionState[] = [];
    client.connection.subscribe(() => seen.push(client.connection.getSnapshot().state));
    await Promise.all([client.connect(), client.connect()]);
    await sleep(30);
    expect(seen).toEqual(['connecting', 'connected']);
    await waitForState(client, 'connected');
  });
}
