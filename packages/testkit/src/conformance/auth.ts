import { expect, it, vi } from 'vitest';
import type { SuiteContext } from '../internal/context.js';
import { sleep } from '../waitFor.js';

export function authTests(ctx: SuiteContext): void {
  it('an unauthorized subscribe fails the channel with AuthError, once, and the connection stays up', async () => {
    const client = await ctx.connected({ clientId: 'a-eve' });
    const name = ctx.channelName('secret');
    await ctx.rejectAuth({ channel: name, action: 'subscribe' });
    const errors: Array<{ code: string }> = [];
    client.on('error', (error) => errors.push(error));
    client.channel(name).subscribe(() => {});
    await expect(client.channel(name).ready()).rejects.toMatchObject({ code: 'auth_rejected' });
    expect(client.channel(name).state.getSnapshot()).toMatchObject({ state: 'failed' });
    await sleep(100);
    expect(errors.map((e) => e.code)).toEqual(['auth_rejected']);
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect(await ctx.harness.providerSubscriptionCount(name)).toBe(0);
  });

  it('an unauthorized presence enter rejects with AuthError', async () => {
    const client = await ctx.connected({ clientId: 'a-pres' });
    const name = ctx.channelName('no-presence');
    await ctx.rejectAuth({ channel: name, action: 'presence' });
    await expect(client.channel(name).presence.enter({})).rejects.toMatchObject({
      code: 'auth_rejected',
    });
  });

  it('a token refused at connect fails without a retry loop', async () => {
    await ctx.rejectAuth({ clientId: 'a-locked' });
    const auth = vi.fn(async () => 'a-locked.token');
    const client = await ctx.client({ clientId: 'a-locked', auth });
    await expect(client.connect()).rejects.toMatchObject({ code: 'auth_rejected' });
    await sleep(150);
    expect(auth).toHaveBeenCalledTimes(1);
    expect(client.connection.getSnapshot().state).toBe('failed');
  });

  it('an auth() callback that throws AuthError stops retrying with that error', async () => {
    const { AuthError } = await import('@patchbay/realtime-core');
    const auth = vi.fn(async (): Promise<string> => {
      throw new AuthError('Session expired: sign in again.');
    });
    const client = await ctx.client({ auth });
    await expect(client.connect()).rejects.toMatchObject({
      message: 'Session expired: sign in again.',
    });
    expect(client.connection.getSnapshot().state).toBe('failed');
    await sleep(100);
    expect(auth).toHaveBeenCalledTimes(1);
  });
}
