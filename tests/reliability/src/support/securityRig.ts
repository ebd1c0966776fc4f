import { ablyTransport } from '@patchbay/realtime-ably';
import { createTokenRequest } from '@patchbay/realtime-ably/server';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
  type RealtimeOptions,
} from '@patchbay/realtime-core';
import { pusherTransport } from '@patchbay/realtime-pusher';
import { createHubServer, Hub, type HubOptions, type HubServer } from '@patchbay/realtime-server';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { sseTransport } from '@patchbay/realtime-sse';
import { type AuthRejection, createAuthRules } from '@patchbay/realtime-testkit';
import { type AblyEmulator, createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator, type PusherEmulator } from '@patchbay/realtime-testkit/pusher';
import * as Ably from 'ably';
import PusherServer from 'pusher';
import { type PusherAppServer, startPusherAppServer } from './pusherApp.js';

export type Provider = 'socketio' | 'sse' | 'pusher' | 'ably';
export const PROVIDERS: readonly Provider[] = ['socketio', 'sse', 'pusher', 'ably'];

/**
 * Tokens in these tests are `<user>.<expiresAtMs>`: the app's authenticate step names the user
 * and refuses a token past its expiry, like a JWT `exp` check.
 */
export function issueToken(user: string, ttlMs = 3_600_000): string {
  return `${user}.${Date.now() + ttlMs}`;
}

/** The user a token names, or null when it is malformed or expired. */
export function verifyToken(token: string | undefined): string | null {
  if (!token) return null;
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const expiresAt = Number(token.slice(dot + 1));
  if (!Number.isFinite(expiresAt) || expiresAt <= Date.now()) return null;
  return token.slice(0, dot);
}

export interface RigClientOptions
  extends Omit<RealtimeOptions, 'transport' | 'auth' | 'connectivity'> {
  /** Default: a fresh one-hour token for `user` on every call. */
  auth?: () => Promise<string> | string;
  user?: string;
}

/** One provider's live counterpart with the app's auth (authenticate + authorize) in front of it. */
export interface SecurityRig {
  readonly provider: Provider;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  client(options: RigClientOptions): RealtimeClient;
  /** Refuse an action until the returned function runs. */
  deny(rule: AuthRejection): () => void;
  /** Cut a client's link abruptly (its next connect calls auth() again). */
  drop(client: RealtimeClient): Promise<void>;
  /** Connections the provider holds open right now. */
  openConnections(): number;
  /** Provider-level subscribers of a Patchbay channel. */
  subscriberCount(channel: string): number;
  /** The hub, for the providers that run on it. */
  hub?: Hub;
  hubServer?(): HubServer;
  /** Ably only: the bare ably-js SDK holding a token for `user`, below Patchbay. */
  rawAbly?(user: string): Promise<Ably.Realtime>;
}

const NO_AUTOMATIC_RETRY_SIGNALS = { connectivity: noConnectivitySignals } as const;

export function createSecurityRig(provider: Provider, hubOptions: HubOptions = {}): SecurityRig {
  if (provider === 'socketio' || provider === 'sse') return hubRig(provider, hubOptions);
  if (provider === 'pusher') return pusherRig();
  return ablyRig();
}

function hubRig(provider: 'socketio' | 'sse', hubOptions: HubOptions): SecurityRig {
  const rules = createAuthRules();
  const hub = new Hub({
    presenceGraceMs: 0,
    rateLimit: false,
    ...hubOptions,
    authenticate: ({ token }) => {
      const user = verifyToken(token);
      if (!user || rules.rejects(user, undefined, 'connect')) return null;
      return { clientId: user };
    },
    authorize: ({ clientId, channel, action }) => !rules.rejects(clientId, channel, action),
  });
  let server: HubServer | undefined;
  const live = () => {
    if (!server) throw new Error('The hub is not running.');
    return server;
  };
  return {
    provider,
    hub,
    hubServer: live,
    setup: async () => {
      server = await createHubServer({ hub, port: 0, host: '127.0.0.1' });
    },
    teardown: async () => {
      await server?.close();
      server = undefined;
      await hub.close();
    },
    client: ({ auth, user, ...options }) =>
      createRealtime({
        ...NO_AUTOMATIC_RETRY_SIGNALS,
        ...options,
        auth: auth ?? (() => issueToken(user ?? 'anonymous')),
        transport:
          provider === 'socketio'
            ? socketioTransport({ url: live().url, transports: ['websocket'] })
            : sseTransport({ url: live().url }),
      }),
    deny: (rule) => rules.add(rule),
    drop: async (client) => {
      const { connectionId } = client.connection.getSnapshot();
      const session = connectionId ? hub.session(connectionId) : undefined;
      if (!session) throw new Error('That client has no live hub session.');
      session.link.terminate();
    },
    openConnections: () => hub.sessions().length,
    subscriberCount: (channel) => hub.subscriberCount(channel),
  };
}

const PUSHER_APP = { appId: '4242', key: 'patchbay-key', secret: 'patchbay-secret' };

function pusherRig(): SecurityRig {
  const rules = createAuthRules();
  let emulator: PusherEmulator | undefined;
  let app: PusherAppServer | undefined;
  let appUrl = '';
  const live = () => {
    if (!emulator) throw new Error('The Pusher emulator is not running.');
    return emulator;
  };
  const authenticate = (token: string | undefined) => {
    const user = verifyToken(token);
    return user && !rules.rejects(user, undefined, 'connect') ? { userId: user } : null;
  };
  const authorize = (request: { userId: string; channel: string; action: string }) =>
    !rules.rejects(request.userId, request.channel, request.action);
  return {
    provider: 'pusher',
    setup: async () => {
      emulator = await createPusherEmulator({ ...PUSHER_APP, port: 0 });
      const pusher = new PusherServer(emulator.serverOptions());
      app = await startPusherAppServer({ pusher, authenticate, authorize });
      appUrl = app.url;
    },
    teardown: async () => {
      await app?.close();
      app = undefined;
      await emulator?.close();
      emulator = undefined;
    },
    client: ({ auth, user, ...options }) =>
      createRealtime({
        ...NO_AUTOMATIC_RETRY_SIGNALS,
        ...options,
        auth: auth ?? (() => issueToken(user ?? 'anonymous')),
        transport: pusherTransport({
          key: PUSHER_APP.key,
          authEndpoint: `${appUrl}/pusher/auth`,
          publishEndpoint: `${appUrl}/pusher/publish`,
          pusherOptions: live().clientOptions(),
          connectTimeoutMs: 2_000,
        }),
      }),
    deny: (rule) => rules.add(rule),
    drop: async (client) => {
      const { connectionId } = client.connection.getSnapshot();
      if (!connectionId) throw new Error('That client has no live Pusher socket.');
      live().dropSocket(connectionId);
    },
    openConnections: () => live().socketIds().length,
    subscriberCount: (channel) => live().subscriptionCount(`private-${channel}`),
  };
}

function ablyRig(): SecurityRig {
  let emulator: AblyEmulator | undefined;
  let rest: Ably.Rest | undefined;
  const live = () => {
    if (!emulator) throw new Error('The Ably emulator is not running.');
    return emulator;
  };
  return {
    provider: 'ably',
    setup: async () => {
      emulator = await createAblyEmulator({ port: 0 });
      rest = new Ably.Rest({ ...emulator.clientOptions(), logLevel: 0 });
    },
    teardown: async () => {
      await emulator?.close();
      emulator = undefined;
      rest = undefined;
    },
    client: ({ auth, user, ...options }) => {
      const { key: _key, ...endpoint } = live().clientOptions();
      const appAuth = auth ?? (() => issueToken(user ?? 'anonymous'));
      return createRealtime({
        ...NO_AUTOMATIC_RETRY_SIGNALS,
        ...options,
        // The app's token server: checks the app token, then issues an Ably token for that user
        // whose TTL is what the app token has left (an expired app token gets no Ably token).
        auth: async () => {
          const token = await appAuth();
          const userId = verifyToken(token);
          if (!userId) return 'expired-or-invalid';
          const ttl = Number(token.slice(token.lastIndexOf('.') + 1)) - Date.now();
          if (!rest) throw new Error('The Ably emulator is not running.');
          return JSON.stringify(
            await createTokenRequest({ rest, clientId: userId, ttlMs: Math.max(1, ttl) }),
          );
        },
        transport: ablyTransport({
          Realtime: Ably.Realtime,
          clientOptions: { ...endpoint, logLevel: 0 },
        }),
      });
    },
    deny: (rule) =>
      live().rejectAuth({
        ...(rule.clientId !== undefined ? { clientId: rule.clientId } : {}),
        ...(rule.channel !== undefined ? { channel: rule.channel } : {}),
        ...(rule.action !== undefined ? { operation: rule.action } : {}),
      }),
    drop: async (client) => {
      const { connectionId } = client.connection.getSnapshot();
      if (!connectionId) throw new Error('That client has no live Ably connection.');
      live().drop(connectionId);
    },
    openConnections: () => live().connections().length,
    rawAbly: async (user) => {
      const { key: _key, ...endpoint } = live().clientOptions();
      const signer = rest;
      if (!signer) throw new Error('The Ably emulator is not running.');
      const raw = new Ably.Realtime({
        ...endpoint,
        logLevel: 0,
        authCallback: (_params, callback) => {
          createTokenRequest({ rest: signer, clientId: user }).then(
            (request) => callback(null, request),
            (error: Ably.ErrorInfo) => callback(error, null),
          );
        },
      });
      await raw.connection.whenState('connected');
      return raw;
    },
    subscriberCount: (channel) => live().subscriberCount(channel),
  };
}
