import { ablyTransport } from '@patchbay/realtime-ably';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type ReconnectOptions,
} from '@patchbay/realtime-core';
import { pusherTransport } from '@patchbay/realtime-pusher';
import type { PusherEnvelope } from '@patchbay/realtime-pusher/server';
import { createTcpProxy, type TcpProxy } from '@patchbay/realtime-testkit';
import {
  type AblyEmulator,
  type AblyEmulatorOptions,
  createAblyEmulator,
} from '@patchbay/realtime-testkit/ably';
import {
  createPusherEmulator,
  type PusherEmulator,
  type PusherEmulatorOptions,
} from '@patchbay/realtime-testkit/pusher';
import * as Ably from 'ably';
import PusherServer from 'pusher';
import { startPusherAppServer } from './pusherApp.js';

/*
 * The real vendor SDKs (ably, pusher-js, pusher) against the repo's emulators, with a
 * fault-injecting TCP proxy in front of whichever client links a scenario wants to break.
 */

/** Retries after a dropped link start fast so a run sees many reconnects, not long waits. */
export const FAST_RECONNECT: ReconnectOptions = { baseDelayMs: 200, maxDelayMs: 2_000 };

/** Everything a scenario starts, closed in reverse order even when the scenario failed. */
export class Teardown {
  readonly #steps: Array<() => unknown> = [];

  add<T>(resource: T, close: (resource: T) => unknown): T {
    this.#steps.push(() => close(resource));
    return resource;
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // A resource that is already gone must not stop the others from closing.
      }
    }
  }
}

/** A proxy in front of `port`, closed by `teardown`. */
export async function proxyTo(teardown: Teardown, port: number): Promise<TcpProxy> {
  return teardown.add(await createTcpProxy({ upstream: port }), (proxy) => proxy.close());
}

// Ably ------------------------------------------------------------------------------------------

export async function startAbly(
  teardown: Teardown,
  options: AblyEmulatorOptions = {},
): Promise<AblyEmulator> {
  return teardown.add(await createAblyEmulator({ port: 0, ...options }), (emulator) =>
    emulator.close(),
  );
}

export interface VendorClientOptions {
  clientId: string;
  /** Connect through this port (a proxy) instead of the emulator's own. */
  port?: number;
  /** History pages the Ably transport may read to recover one gap. Default: the transport's (10). */
  maxRecoveryPages?: number;
}

/** A Patchbay client on the real `ably` SDK, pointed at the emulator or at a proxy in front of it. */
export function ablyClient(
  teardown: Teardown,
  emulator: AblyEmulator,
  options: VendorClientOptions,
): RealtimeClient {
  const client = createRealtime({
    clientId: options.clientId,
    connectivity: noConnectivitySignals,
    reconnect: FAST_RECONNECT,
    transport: ablyTransport({
      Realtime: Ably.Realtime,
      ...(options.maxRecoveryPages !== undefined
        ? { maxRecoveryPages: options.maxRecoveryPages }
        : {}),
      // Realtime and REST (history reads during recovery) both go through `port`.
      clientOptions: {
        ...emulator.clientOptions(),
        port: options.port ?? emulator.port,
        logLevel: 0,
      },
    }),
  });
  return teardown.add(client, (c) => c.close());
}

// Pusher ----------------------------------------------------------------------------------------

const APP = { appId: '5151', key: 'vendor-key', secret: 'vendor-secret' };

export interface PusherRig {
  emulator: PusherEmulator;
  /** The `pusher` server SDK, talking HTTP straight to the emulator (never through a proxy). */
  server: PusherServer;
  /** The app's own server: Patchbay's auth and publish handlers from `/server`. */
  appUrl: string;
}

/** The Pusher emulator plus an app server with Patchbay's auth and publish endpoints. */
export async function startPusher(
  teardown: Teardown,
  /** E.g. `{ clientEventsPerSecond: false }` for a scenario Pusher's client-event limit would slow down. */
  emulatorOptions: Partial<PusherEmulatorOptions> = {},
): Promise<PusherRig> {
  const emulator = await createPusherEmulator({ ...APP, port: 0, ...emulatorOptions });
  teardown.add(emulator, (e) => e.close());
  const server = new PusherServer(emulator.serverOptions());
  // The token is `<clientId>.token`; every authenticated user may use every channel.
  const authenticate = (token: string | undefined) => {
    const id = token?.split('.')[0];
    return id ? { userId: id } : null;
  };
  const app = await startPusherAppServer({ pusher: server, authenticate });
  teardown.add(app, (a) => a.close());
  return { emulator, server, appUrl: app.url };
}

export interface PusherClientOptions extends VendorClientOptions {
  /** `endpoint`: publishes go to the app's publish endpoint (acked); `client-events`: no ack. */
  publish?: 'endpoint' | 'client-events';
  /** The transport's client-event pacing (default 10 per second, Pusher's limit). */
  clientEventsPerSecond?: number;
}

/** A Patchbay client on the real `pusher-js`, its WebSocket pointed at the emulator or a proxy. */
export function pusherClient(
  teardown: Teardown,
  rig: PusherRig,
  options: PusherClientOptions,
): RealtimeClient {
  const client = createRealtime({
    clientId: options.clientId,
    auth: () => `${options.clientId}.token`,
    connectivity: noConnectivitySignals,
    reconnect: FAST_RECONNECT,
    transport: pusherTransport({
      key: APP.key,
      authEndpoint: `${rig.appUrl}/pusher/auth`,
      ...(options.publish !== 'client-events'
        ? { publishEndpoint: `${rig.appUrl}/pusher/publish` }
        : {}),
      pusherOptions: {
        ...rig.emulator.clientOptions(),
        wsPort: options.port ?? rig.emulator.port,
      },
      connectTimeoutMs: 5_000,
      ...(options.clientEventsPerSecond !== undefined
        ? { clientEventsPerSecond: options.clientEventsPerSecond }
        : {}),
    }),
  });
  return teardown.add(client, (c) => c.close());
}

/**
 * Server-side publish of messages `from..to-1` on `channel` with the real `pusher` SDK, as one
 * `triggerBatch` (Pusher accepts up to 10 events per batch). Each carries Patchbay's envelope, so
 * subscribers see the same id and event as from `publishFromServer`.
 */
export async function triggerRange(
  server: PusherServer,
  channel: string,
  run: string,
  from: number,
  to: number,
): Promise<void> {
  const batch = [];
  for (let n = from; n < to; n++) {
    const envelope: PusherEnvelope = {
      id: `${run}-${n}`,
      event: 'm',
      data: { n },
      timestamp: Date.now(),
    };
    batch.push({ channel: `private-${channel}`, name: 'm', data: envelope });
  }
  await server.triggerBatch(batch);
}
