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
import { type SupabaseTransportOptions, supabaseTransport } from './supabaseTransport.js';

/** The Patchbay action a Supabase policy check stands for. */
const ACTIONS: Record<SupabaseChannelAction, string> = {
  'broadcast.read': 'subscribe',
  'presence.read': 'subscribe',
  'broadcast.write': 'publish',
  'presence.write': 'presence',
};

/**
 * Test-only: the real `@supabase/realtime-js` against the Supabase emulator on 127.0.0.1 (port
 * 0), each client's socket through its own TCP proxy (so one client's network can be cut or
 * silenced). Channels are private, so every join, broadcast and presence call goes through the
 * emulator's RLS stand-in, where `rejectAuth` refuses them. When the suite passes `auth`, its
 * token names the user (`user.v1`); the harness signs a JWT with that `sub` and the project's
 * secret, as Supabase Auth would.
 */
export function createSupabaseHarness(
  transport: Partial<SupabaseTransportOptions> = {},
): ConformanceHarness & { emulator(): SupabaseEmulator } {
  const rules = createAuthRules();
  const networks = createClientNetworks();
  const proxies = new WeakMap<RealtimeClient, TcpProxy>();
  let emulator: SupabaseEmulator | undefined;
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
    },
    teardown: async () => {
      await networks.closeAll();
      await emulator?.close();
      emulator = undefined;
    },
    createClient: async ({ auth, ...options }) => {
      const network = await networks.open(live().port);
      const issue = auth ?? (() => `${options.clientId}.token`);
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...options,
        auth: async () => {
          const issued = await issue();
          return live().signToken({ sub: issued.split('.')[0] ?? issued });
        },
        transport: supabaseTransport({
          url: `ws://127.0.0.1:${network.port}/realtime/v1`,
          apiKey: live().anonKey,
          clientOptions: { transport: live().clientOptions().transport },
          private: true,
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
    blackholeLink: async (client) => proxyOf(client).blackhole(true),
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
    providerSubscriptionCount: async (channel) => live().subscriberCount(channel),
    // Broadcast keeps no history: nothing to forget.
    truncateHistory: async () => {},
  };
}
