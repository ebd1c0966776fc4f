import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ErrorCodes } from '../codes.js';
import { createRealtimeFromConfig, type RealtimeConfig } from '../config.js';
import type { RealtimeClient } from '../createRealtime.js';
import { defineChannel } from '../defineChannel.js';
import { ConfigError, RealtimeError, ValidationError } from '../errors.js';
import { MemoryHub } from '../memory/memoryHub.js';
import type { RealtimeMessage } from '../message.js';
import { createServerPublisher } from './createServerPublisher.js';

const clients: RealtimeClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

const config: RealtimeConfig = { provider: 'memory', clientId: 'reader' };

/** A client from the same config, subscribed to `channel`, collecting what its handler gets. */
async function subscribed(hub: MemoryHub, channel: string) {
  const client = await createRealtimeFromConfig(config, { hub });
  clients.push(client);
  await client.connect();
  const received: RealtimeMessage[] = [];
  const subscription = client.channel(channel);
  subscription.subscribe((message) => received.push(message));
  await subscription.ready();
  return received;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function rejection(promise: Promise<unknown>): Promise<RealtimeError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RealtimeError);
  return error as RealtimeError;
}

describe('createServerPublisher (memory)', () => {
  it('delivers to a client built from the same config, with the given id', async () => {
    const hub = new MemoryHub();
    const received = await subscribed(hub, 'orders');
    const publisher = await createServerPublisher(config, { hub });
    const result = await publisher.publish('orders', 'created', { orderId: 1 }, { id: 'o-1' });
    expect(result).toEqual({ id: 'o-1' });
    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({
      channel: 'orders',
      event: 'created',
      data: { orderId: 1 },
      id: 'o-1',
    });
    const generated = await publisher.publish('orders', 'created');
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => received.length === 2);
    expect(received[1]).toMatchObject({ id: generated.id, data: null });
    await publisher.close();
  });

  it('validates a defined channel’s data against the event schema before sending', async () => {
    const hub = new MemoryHub();
    const orders = defineChannel('orders', {
      created: z.object({ orderId: z.number().int(), total: z.number().nonnegative() }),
    });
    const received = await subscribed(hub, 'orders');
    const publisher = await createServerPublisher(config, { hub });

    const invalid = await rejection(
      // @ts-expect-error total must be a number
      publisher.publish(orders, 'created', { orderId: 2, total: 'ten' }),
    );
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid.message).toContain('"created" on "orders"');
    expect(invalid.message).toContain('total:');
    expect((invalid as ValidationError).issues[0]?.path).toBe('total');

    const unknown = await rejection(
      // @ts-expect-error not an event of the channel
      publisher.publish(orders, 'deleted', {}),
    );
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown.message).toContain('known: created');

    await publisher.publish(orders, 'created', { orderId: 2, total: 10 }, { id: 'valid' });
    await until(() => received.length === 1);
    expect(received.map((message) => message.id)).toEqual(['valid']);
  });

  it('refuses bad channel names, reserved or empty events and bad ids before sending', async () => {
    const hub = new MemoryHub();
    const publisher = await createServerPublisher(config, { hub });
    expect((await rejection(publisher.publish('a room', 'note'))).code).toBe(
      ErrorCodes.InvalidChannelName,
    );
    const reserved = await rejection(publisher.publish('room', 'patchbay:typing'));
    expect(reserved).toBeInstanceOf(ValidationError);
    expect(reserved.message).toContain('reserved');
    expect(await rejection(publisher.publish('room', ''))).toBeInstanceOf(ValidationError);
    const id = await rejection(publisher.publish('room', 'note', 1, { id: '' }));
    expect(id).toBeInstanceOf(ConfigError);
    expect(id.message).toContain('"id"');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await rejection(publisher.publish('room', 'note', cyclic))).message).toContain(
      'not JSON-serializable',
    );
    expect(hub.history('room')).toEqual([]);
  });

  it('rejects publishes after close()', async () => {
    const publisher = await createServerPublisher(config, { hub: new MemoryHub() });
    await publisher.close();
    expect((await rejection(publisher.publish('room', 'note'))).code).toBe(
      ErrorCodes.ConnectionClosed,
    );
  });
});

describe('createServerPublisher config and secrets', () => {
  const configError = async (promise: Promise<unknown>, ...fragments: string[]): Promise<void> => {
    const error = await rejection(promise);
    expect(error).toBeInstanceOf(ConfigError);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  };

  it('validates the config with the client’s schema', async () => {
    await configError(
      createServerPublisher({ provider: 'sse' } as RealtimeConfig),
      '"url" is required',
    );
  });

  it('names the extras field and the environment variable of each missing secret', async () => {
    await configError(createServerPublisher({ provider: 'memory' }), 'extras.hub');
    for (const provider of ['socketio', 'sse'] as const) {
      await configError(
        createServerPublisher({ provider, url: 'http://127.0.0.1:8787' }),
        'extras.hubSecret',
        'PATCHBAY_PUBLISH_SECRET',
        '--publish-secret',
      );
    }
    const pusher: RealtimeConfig = { provider: 'pusher', key: 'key', authEndpoint: '/auth' };
    await configError(createServerPublisher(pusher), 'extras.pusher', 'PUSHER_SECRET');
    await configError(
      createServerPublisher(pusher, { pusher: { appId: '1', secret: '' } }),
      'extras.pusher',
    );
    await configError(
      createServerPublisher({ provider: 'ably', authUrl: '/token' }),
      'extras.ably',
      'ABLY_API_KEY',
    );
    await configError(
      createServerPublisher({ provider: 'supabase', url: 'https://ref.supabase.co', apiKey: 'a' }),
      'extras.supabase',
      'SUPABASE_SERVICE_ROLE_KEY',
    );
  });

  it('hands provider "supabase" the config URL, "private" and the service key', async () => {
    const publish = vi.fn(async () => {});
    const supabaseServerPublisher = vi.fn(async () => ({ publish }));
    const publisher = await createServerPublisher(
      { provider: 'supabase', url: 'https://ref.supabase.co', apiKey: 'anon', private: true },
      {
        supabase: { serviceKey: 'service' },
        loaders: { supabase: async () => ({ supabaseServerPublisher }) },
      },
    );
    expect(supabaseServerPublisher).toHaveBeenCalledWith({
      url: 'https://ref.supabase.co',
      serviceKey: 'service',
      private: true,
    });
    const { id } = await publisher.publish('room', 'e', 1);
    expect(publish).toHaveBeenCalledWith({ channel: 'room', event: 'e', data: 1, id });
  });

  it('says which package to install when the provider’s server module cannot load', async () => {
    const error = await rejection(
      createServerPublisher(
        { provider: 'ably', authUrl: '/token' },
        {
          ably: { key: 'app.key:secret' },
          loaders: { ably: () => Promise.reject(new Error('Cannot find module')) },
        },
      ),
    );
    expect(error.code).toBe(ErrorCodes.AdapterMissing);
    expect(error.message).toContain('pnpm add @patchbay/realtime-ably');
  });
});
