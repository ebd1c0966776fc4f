import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import {
  type ConformanceHarness,
  createAuthRules,
  createClientNetworks,
  type TcpProxy,
} from '@patchbay/realtime-testkit';
import {
  createSupabaseEmulator,
  type SupabaseChannelAction,
  type SupabaseEmulator,
} from '@patchbay/realtime-testkit/supabase';
import { jwtVerify } from 'jose';
import { createSupabasePublishHandler } from './server/index.js';
import { type SupabaseTransportOptions, supabaseTransport } from './supabaseTransport.js';
import { serveHandler, type TestAppServer } from './testAppServer.js';

/** The Patchbay action a Supabase policy check stands for. */
const ACTIONS: Record<SupabaseChannelAction, string> = {
  'broadcast.read': 'subscribe',
  'presence.read': 'subscribe',
  'broadcast.write': 'publish',
  'presence.write': 'presence',
};

export interface SupabaseHarnessOptions {
  /**
   * `socket` (default): messages are broadcast from each client's socket. `endpoint`: they are
   * POSTed to an app server running `createSupabasePublishHandler` (`publishEndpoint`), which
   * broadcasts them over the emulator's REST API.
   */
  publish?: 'socket' | 'endpoint';
  transport?: Partial<SupabaseTransportOptions>;
}

/**
 * Test-only: the real `@supabase/realtime-js` against the Supabase emulator on 127.0.0.1 (port
 * 0), each client's socket through its own TCP proxy (so one client's network can be cut or
 * silenced). Channels are private, so every join, broadcast and presence call goes through the
 * emulator's RLS stand-in, where `rejectAuth` refuses them. When the suite passes `auth`, its
 * token names the user (`user.v1`); the harness signs a JWT with that `sub` and the project's
 * secret, as Supabase Auth would. With `publish: 'endpoint'` the app server verifies that JWT and
 * `rejectAuth` refuses there too.
 */
export function createSupabaseHarness(
  options: SupabaseHarnessOptions = {},
): ConformanceHarness & { emulator(): SupabaseEmulator } {
  const { publish = 'socket', transport = {} } = options;
  const rules = createAuthRules();
  const networks = createClientNetworks();
  const proxies = new WeakMap<RealtimeClient, TcpProxy>();
  /** Clients whose HTTP to the app server hangs (a half-open network), for `blackholeLink`. */
  const silenced = new WeakSet<RealtimeClient>();
  let emulator: SupabaseEmulator | undefined;
  let app: TestAppServer | undefined;
  const live = (): SupabaseEmulator => {
    if (!emulator) throw new Error('The Supabase emulator is not running: call setup() first.');
    return emulator;
  };
  const proxyOf = (client: RealtimeClient): TcpProxy => {
    const proxy = proxies.get(client);
    if (!proxy) throw new Error('That client was not made by this harness.');
    return proxy;
  };
  return {
    linkMode: 'persistent',
    emulator: live,
    setup: async () => {
      emulator = await createSupabaseEmulator({
        port: 0,
        authorize: (claims, topic, action) =>
          claims.role === 'authenticated' &&
          !rules.rejects(String(claims.sub), topic, ACTIONS[action]),
        // The suite enters and updates presence more often than Supabase's 5 per 30 s allows.
        presenceRateLimit: false,
      });
      if (publish === 'endpoint') {
        const secret = new TextEncoder().encode(emulator.jwtSecret);
        app = await serveHandler(
          createSupabasePublishHandler({
            url: emulator.httpUrl,
            serviceKey: emulator.serviceKey,
            private: true,
            authenticate: async (token) => {
              if (!token) return null;
              const sub = await jwtVerify(token, secret).then(
                ({ payload }) => payload.sub,
                () => undefined,
              );
              return sub && !rules.rejects(sub, undefined, 'connect') ? { userId: sub } : null;
            },
            authorize: ({ userId, channel }) => !rules.rejects(userId, channel, 'publish'),
          }),
        );
      }
    },
    teardown: async () => {
      await app?.close();
      app = undefined;
      await networks.closeAll();
      await emulator?.close();
      emulator = undefined;
    },
    createClient: async ({ auth, ...clientOptions }) => {
      const network = await networks.open(live().port);
      const issue = auth ?? (() => `${clientOptions.clientId}.token`);
      let client: RealtimeClient | undefined;
      const endpoint =
        publish === 'endpoint'
          ? {
              publishEndpoint: `${app?.url}/publish`,
              fetch: (input: RequestInfo | URL, init?: RequestInit) =>
                client && silenced.has(client) ? hang(init?.signal) : fetch(input, init),
            }
          : {};
      client = createRealtime({
        connectivity: noConnectivitySignals,
        ...clientOptions,
        auth: async () => {
          const issued = await issue();
          return live().signToken({ sub: issued.split('.')[0] ?? issued });
        },
        transport: supabaseTransport({
          url: `ws://127.0.0.1:${network.port}/realtime/v1`,
          apiKey: live().anonKey,
          clientOptions: { transport: live().clientOptions().transport },
          private: true,
          ...endpoint,
          ...transport,
        }),
      });
      networks.bind(client, network);
      proxies.set(client, network);
      return client;
    },
    serverPublish: async (channel, event, data, publishOptions) => {
      const response = await fetch(`${live().httpUrl}/realtime/v1/api/broadcast`, {
        method: 'POST',
        headers: {
          apikey: live().serviceKey,
          authorization: `Bearer ${live().serviceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          messages: [
            {
              topic: channel,
              event,
              private: true,
              payload: {
                patchbay: 1,
                id: publishOptions?.id ?? globalThis.crypto.randomUUID(),
                data: data ?? null,
                timestamp: Date.now(),
              },
            },
          ],
        }),
      });
      if (!response.ok) throw new Error(`REST broadcast answered ${response.status}`);
    },
    // A network cut: both ends see the socket die; realtime-js reconnects at once.
    dropLink: async (client) => proxyOf(client).cut(),
    interruptLink: (client, ms) => networks.interrupt(client, ms),
    blackholeLink: async (client) => {
      silenced.add(client);
      proxyOf(client).blackhole(true);
    },
    stopServer: () => live().stop(),
    startServer: () => live().start(),
    rejectAuth: (rule) => {
      const undo = rules.add(rule);
      // A user refused outright is refused at every join, the token check included.
      const userUndo =
        rule.clientId !== undefined && rule.channel === undefined
          ? live().rejectAuth({ sub: rule.clientId, stage: 'join' })
          : () => {};
      return () => {
        undo();
        userUndo();
      };
    },
    refuseSubscribes: (channel, times) => live().refuseJoins(channel, times),
    subscribeAttempts: async (channel) => live().joinCount(channel),
    providerSubscriptionCount: async (channel) => live().subscriberCount(channel),
    // Broadcast keeps no history: nothing to forget.
    truncateHistory: async () => {},
  };
}

/** A request into a black hole: it never answers, and only ends when its caller gives up. */
function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
