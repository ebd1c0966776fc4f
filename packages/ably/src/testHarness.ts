import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import { type ConformanceHarness, createClientNetworks } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import * as Ably from 'ably';
import { ablyTransport } from './ablyTransport.js';
import { encodeData } from './internal/codec.js';

/**
 * Test-only: the Ably emulator on 127.0.0.1 (port 0) and clients on the real `ably` SDK, each
 * reaching the emulator (realtime and REST alike) through its own TCP proxy, so
 * `interruptLink` takes one client's network away as Wi-Fi would. When
 * the suite passes `auth`, its token names the user (`user.v1`); the harness turns it into a
 * TokenRequest signed with the emulator's key, so token auth runs through `authCallback` and
 * `POST /keys/{keyName}/requestToken` exactly as with Ably.
 */
export function createAblyHarness(): ConformanceHarness & { emulator(): AblyEmulator } {
  let emulator: AblyEmulator | undefined;
  let rest: Ably.Rest | undefined;
  const networks = createClientNetworks();
  const live = (): AblyEmulator => {
    if (!emulator) throw new Error('The Ably emulator is not running: call setup() first.');
    return emulator;
  };
  const restClient = (): Ably.Rest => {
    rest ??= new Ably.Rest({ ...live().clientOptions(), logLevel: 1 });
    return rest;
  };
  const connectionOf = (client: RealtimeClient): string => {
    const { connectionId } = client.connection.getSnapshot();
    if (!connectionId) throw new Error('That client has no live Ably connection.');
    return connectionId;
  };
  return {
    linkMode: 'persistent',
    emulator: live,
    setup: async () => {
      emulator = await createAblyEmulator({ port: 0 });
    },
    teardown: async () => {
      await networks.closeAll();
      await emulator?.close();
      emulator = undefined;
    },
    createClient: async ({ auth, ...options }) => {
      const network = await networks.open(live().port);
      const client = createRealtime({
        connectivity: noConnectivitySignals,
        ...options,
        ...(auth
          ? {
              auth: async () => {
                const issued = await auth();
                const clientId = issued.split('.')[0] ?? issued;
                return JSON.stringify(await restClient().auth.createTokenRequest({ clientId }));
              },
            }
          : {}),
        transport: ablyTransport({
          Realtime: Ably.Realtime,
          clientOptions: {
            ...clientOptions(live(), auth !== undefined),
            port: network.port,
            logLevel: 1,
          },
        }),
      });
      networks.bind(client, network);
      return client;
    },
    serverPublish: async (channel, event, data, publishOptions) => {
      await restClient()
        .channels.get(channel)
        .publish({
          name: event,
          ...(publishOptions?.id !== undefined ? { id: publishOptions.id } : {}),
          ...encodeData(data),
        });
    },
    // The emulator cuts the socket and keeps the connection resumable: ably-js resumes it.
    dropLink: async (client) => live().drop(connectionOf(client)),
    interruptLink: (client, ms) => networks.interrupt(client, ms),
    blackholeLink: async (client) => live().blackhole(connectionOf(client)),
    stopServer: () => live().stop(),
    startServer: () => live().start(),
    rejectAuth: (rule) =>
      live().rejectAuth({
        ...(rule.clientId !== undefined ? { clientId: rule.clientId } : {}),
        ...(rule.channel !== undefined ? { channel: rule.channel } : {}),
        ...(rule.action !== undefined ? { operation: rule.action } : {}),
      }),
    refuseSubscribes: (channel, times) => live().refuseAttaches(channel, times),
    subscribeAttempts: async (channel) => live().attachCount(channel),
    providerSubscriptionCount: async (channel) => live().subscriberCount(channel),
    truncateHistory: async (channel) => live().truncateHistory(channel),
  };
}

/** With token auth the client gets no key at all: only what the app's auth() returns. */
function clientOptions(emulator: AblyEmulator, tokenAuth: boolean): Ably.ClientOptions {
  const { key, ...rest } = emulator.clientOptions();
  return tokenAuth ? rest : { ...rest, key };
}
