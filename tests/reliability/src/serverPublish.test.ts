import {
  noConnectivitySignals,
  PublishRejectedError,
  type RealtimeMessage,
} from '@patchbay/realtime-core';
import {
  createRealtimeFromConfig,
  type RealtimeConfig,
  type RealtimeConfigExtras,
} from '@patchbay/realtime-core/config';
import { MemoryHub } from '@patchbay/realtime-core/memory';
import { createServerPublisher, type ServerPublisherExtras } from '@patchbay/realtime-core/server';
import { createHubServer, type HubServer } from '@patchbay/realtime-server';
import { waitFor } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPusherAppServer } from './support/pusherApp.js';
import { Teardown } from './support/vendorRig.js';

/*
 * One server-side publish API on every provider: `createServerPublisher(config, extras)` with the
 * very config the browser's `createRealtimeFromConfig` uses, against the real hub, the Pusher
 * emulator and the Ably emulator. A real Patchbay client receives what the server published.
 */

const SECRET = 'server-publish-secret-0123456789';
const PUSHER_APP = { appId: '6161', key: 'publish-key', secret: 'publish-secret' };

/** Literal imports, as a bundled app passes them. */
const clientLoaders: NonNullable<RealtimeConfigExtras['loaders']> = {
  socketio: () => import('@patchbay/realtime-socketio'),
  sse: () => import('@patchbay/realtime-sse'),
  pusher: () => import('@patchbay/realtime-pusher'),
  ably: () => import('@patchbay/realtime-ably'),
};
const serverLoaders: NonNullable<ServerPublisherExtras['loaders']> = {
  pusher: () => import('@patchbay/realtime-pusher/server'),
  ably: () => import('@patchbay/realtime-ably/server'),
};

interface Setup {
  config: RealtimeConfig;
  client: RealtimeConfigExtras;
  server: ServerPublisherExtras;
}

const setup = new Teardown();
let hub: HubServer;
let pusher: PusherEmulator;
let pusherAppUrl: string;
let ably: AblyEmulator;
const memory = new MemoryHub();

beforeAll(async () => {
  hub = setup.add(
    await createHubServer({ port: 0, allowAnonymous: true, publishSecret: SECRET }),
    async (server) => {
      await server.close();
      await server.hub.close();
    },
  );
  pusher = setup.add(await createPusherEmulator({ ...PUSHER_APP, port: 0 }), (e) => e.close());
  const app = await startPusherAppServer({
    pusher: new PusherServer(pusher.serverOptions()),
    authenticate: (token) => (token ? { userId: token } : null),
  });
  pusherAppUrl = setup.add(app, (a) => a.close()).url;
  ably = setup.add(await createAblyEmulator({ port: 0 }), (e) => e.close());
});
afterAll(() => setup.run());

const providers: Record<string, () => Setup> = {
  'socketio (hub endpoint)': () => ({
    config: { provider: 'socketio', url: hub.url, transports: ['websocket'] },
    client: {},
    server: { hubSecret: SECRET },
  }),
  'sse (hub endpoint)': () => ({
    config: { provider: 'sse', url: hub.url },
    client: {},
    server: { hubSecret: SECRET },
  }),
  'sse (hub in this process)': () => ({
    config: { provider: 'sse', url: hub.url },
    client: {},
    server: { hub: hub.hub },
  }),
  pusher: () => ({
    config: {
      provider: 'pusher',
      key: PUSHER_APP.key,
      authEndpoint: `${pusherAppUrl}/pusher/auth`,
      pusherOptions: { ...pusher.clientOptions() },
    },
    client: { auth: () => 'reader' },
    server: { pusher: { appId: PUSHER_APP.appId, secret: PUSHER_APP.secret } },
  }),
  ably: () => ({
    // The emulator's key in the browser config stands in for a token endpoint; the server's key
    // comes from extras, never from the config.
    config: { provider: 'ably', clientOptions: { ...ably.clientOptions(), logLevel: 0 } },
    client: {},
    server: { ably: { key: ably.apiKey } },
  }),
  memory: () => ({
    config: { provider: 'memory' },
    client: { hub: memory },
    server: { hub: memory },
  }),
};

describe.each(Object.keys(providers))('server publish on %s', (name) => {
  const teardown = new Teardown();
  afterEach(() => teardown.run());

  /** A client from the config, subscribed to `channel`, collecting what its handler receives. */
  async function reader(current: Setup, channel: string): Promise<RealtimeMessage[]> {
    const client = teardown.add(
      await createRealtimeFromConfig(current.config, {
        ...current.client,
        connectivity: noConnectivitySignals,
        loaders: clientLoaders,
      }),
      (c) => c.close(),
    );
    await client.connect();
    const received: RealtimeMessage[] = [];
    const subscription = client.channel(channel);
    teardown.add(
      subscription.subscribe((message) => received.push(message)),
      (unsubscribe) => unsubscribe(),
    );
    await subscription.ready();
    return received;
  }

  it('a client on the same config receives the message with its event, data, id and clientId, once per id', async () => {
    const current = (providers[name] as () => Setup)();
    const channel = `orders-${name.split(' ')[0]}-${Date.now()}`;
    const received = await reader(current, channel);
    const publisher = teardown.add(
      await createServerPublisher(current.config, { ...current.server, loaders: serverLoaders }),
      (p) => p.close(),
    );

    const data = { orderId: 7, total: 12.5, lines: ['a', 'b'], paid: false };
    const first = await publisher.publish(channel, 'created', data, {
      id: 'order-7-created',
      clientId: 'billing-service',
    });
    expect(first).toEqual({ id: 'order-7-created' });
    // A retry after an unknown outcome, with the same id: handlers see it once.
    await publisher.publish(channel, 'created', data, {
      id: 'order-7-created',
      clientId: 'billing-service',
    });
    const plain = await publisher.publish(channel, 'note', 42);
    await waitFor('the last message', () => received.some((message) => message.id === plain.id));

    expect(
      received.map(({ channel: on, event, data: payload, id, clientId }) => ({
        channel: on,
        event,
        data: payload,
        id,
        ...(clientId !== undefined ? { clientId } : {}),
      })),
    ).toEqual([
      { channel, event: 'created', data, id: 'order-7-created', clientId: 'billing-service' },
      { channel, event: 'note', data: 42, id: plain.id },
    ]);
    for (const message of received) expect(message.timestamp).toEqual(expect.any(Number));
  });
});

describe('server publish refusals', () => {
  const teardown = new Teardown();
  afterEach(() => teardown.run());

  const refusal = async (promise: Promise<unknown>): Promise<PublishRejectedError> => {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PublishRejectedError);
    return error as PublishRejectedError;
  };

  it('a wrong hub secret is refused, not retryable, and says which extras field to fix', async () => {
    const publisher = await createServerPublisher(
      { provider: 'sse', url: hub.url },
      { hubSecret: 'not-the-secret-0123456789' },
    );
    const error = await refusal(publisher.publish('room', 'note', 1));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('the hub answered 401');
    expect(error.message).toContain('extras.hubSecret');
  });

  it('a hub without a publish secret is refused with how to turn the endpoint on', async () => {
    const off = teardown.add(
      await createHubServer({ port: 0, allowAnonymous: true }),
      async (server) => {
        await server.close();
        await server.hub.close();
      },
    );
    const publisher = await createServerPublisher(
      { provider: 'socketio', url: off.url },
      { hubSecret: SECRET },
    );
    const error = await refusal(publisher.publish('room', 'note', 1));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('--publish-secret');
  });

  it('a message over the hub’s size limit is refused as not retryable', async () => {
    const publisher = await createServerPublisher(
      { provider: 'sse', url: hub.url },
      { hubSecret: SECRET },
    );
    const error = await refusal(publisher.publish('room', 'note', 'x'.repeat(70_000)));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('413');
  });

  it('an unreachable hub is a retryable refusal naming the address', async () => {
    const gone = await createHubServer({ port: 0, allowAnonymous: true, publishSecret: SECRET });
    await gone.close();
    await gone.hub.close();
    const publisher = await createServerPublisher(
      { provider: 'sse', url: gone.url },
      { hubSecret: SECRET },
    );
    const error = await refusal(publisher.publish('room', 'note', 1));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`could not reach the hub at ${gone.url}/patchbay/publish`);
  });

  it('a wrong Pusher secret is refused by Pusher’s API as not retryable', async () => {
    const publisher = await createServerPublisher(
      {
        provider: 'pusher',
        key: PUSHER_APP.key,
        authEndpoint: `${pusherAppUrl}/pusher/auth`,
        pusherOptions: { ...pusher.clientOptions() },
      },
      { pusher: { appId: PUSHER_APP.appId, secret: 'wrong' }, loaders: serverLoaders },
    );
    const error = await refusal(publisher.publish('room', 'note', 1));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Pusher answered 40[13]/);
  });

  it('a wrong Ably key is refused by Ably as not retryable', async () => {
    const [keyName] = ably.apiKey.split(':');
    const publisher = await createServerPublisher(
      { provider: 'ably', clientOptions: { ...ably.clientOptions(), logLevel: 0 } },
      { ably: { key: `${keyName}:wrong-secret` }, loaders: serverLoaders },
    );
    const error = await refusal(publisher.publish('room', 'note', 1));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Ably answered 40[13]/);
  });
});
