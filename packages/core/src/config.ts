import { z } from 'zod';
import { ErrorCodes } from './codes.js';
import { createRealtime, type RealtimeClient, type RealtimeOptions } from './createRealtime.js';
import { ConfigError, productionMessage } from './errors.js';
import { type AdapterModule, loadAdapterExport } from './internal/adapterExport.js';
import { MemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { Transport } from './transport/types.js';

const reconnect = z
  .object({
    baseDelayMs: z.number().nonnegative().optional(),
    maxDelayMs: z.number().nonnegative().optional(),
    maxAttempts: z.number().int().positive().optional(),
    connectTimeoutMs: z.number().positive().optional(),
  })
  .strict();

const common = {
  clientId: z.string().min(1).optional(),
  echo: z.boolean().optional(),
  publishTimeoutMs: z.number().positive().optional(),
  reconnect: reconnect.optional(),
  queue: z.object({ maxSize: z.number().int().positive().optional() }).strict().optional(),
};

const url = z.url({ message: 'must be an absolute URL such as http://127.0.0.1:8787' });

/** The config schema: data only (JSON- and env-friendly); code such as `auth` goes in `extras`. */
export const realtimeConfigSchema = z.discriminatedUnion(
  'provider',
  [
    z.object({ provider: z.literal('memory'), ...common }).strict(),
    z
      .object({
        provider: z.literal('socketio'),
        url,
        path: z.string().startsWith('/').optional(),
        transports: z
          .array(z.enum(['websocket', 'polling']))
          .min(1)
          .optional(),
        ...common,
      })
      .strict(),
    z
      .object({
        provider: z.literal('sse'),
        url,
        basePath: z.string().startsWith('/').optional(),
        tokenInQuery: z.boolean().optional(),
        silenceTimeoutMs: z.number().positive().optional(),
        ...common,
      })
      .strict(),
    z
      .object({
        provider: z.literal('pusher'),
        key: z.string().min(1, 'is the Pusher app key from your dashboard (or the emulator)'),
        cluster: z.string().min(1).optional(),
        host: z.string().min(1).optional(),
        port: z.number().int().positive().optional(),
        forceTLS: z.boolean().optional(),
        authEndpoint: z.string().min(1, 'is the URL of createPusherAuthHandler on your server'),
        publishEndpoint: z.string().min(1).optional(),
        /** Any other pusher-js options (JSON only), e.g. `enabledTransports`. */
        pusherOptions: z.record(z.string(), z.unknown()).optional(),
        ...common,
      })
      .strict(),
    z
      .object({
        provider: z.literal('ably'),
        key: z.string().min(1).optional(),
        authUrl: z.string().min(1).optional(),
        endpoint: z.string().min(1).optional(),
        port: z.number().int().positive().optional(),
        tls: z.boolean().optional(),
        /** Any other ably-js ClientOptions (JSON only), e.g. `fallbackHosts` or `environment`. */
        clientOptions: z.record(z.string(), z.unknown()).optional(),
        ...common,
      })
      .strict(),
    z
      .object({
        provider: z.literal('supabase'),
        url: z.url({ message: 'must be your project URL, such as https://<ref>.supabase.co' }),
        apiKey: z
          .string()
          .min(1, "is your project's anon (publishable) key from the dashboard's API settings"),
        /** Join channels as Supabase private channels (Realtime Authorization, RLS). */
        private: z.boolean().optional(),
        /** Socket URL query parameters, e.g. `log_level`. */
        params: z.record(z.string(), z.string()).optional(),
        /** Any other realtime-js client options (JSON only), e.g. `timeout`, `heartbeatIntervalMs`. */
        clientOptions: z.record(z.string(), z.unknown()).optional(),
        maxMessageBytes: z.number().int().min(1024).optional(),
        /** URL or path of createSupabasePublishHandler: messages pass through your server. */
        publishEndpoint: z
          .string()
          .regex(/^(https?:\/\/[^/]|\/(?!\/))/, {
            message:
              'must be the absolute URL (https://…) or path (/api/…) of createSupabasePublishHandler on your server',
          })
          .optional(),
        ...common,
      })
      .strict(),
  ],
  { error: () => 'must be one of "socketio", "sse", "pusher", "ably", "supabase" or "memory"' },
);

export type RealtimeConfig = z.input<typeof realtimeConfigSchema>;
export type ProviderName = RealtimeConfig['provider'];

/** A transport package's module, as the loader sees it: `<provider>Transport(options)`. */
export type { AdapterModule };

export interface RealtimeConfigExtras extends Omit<Partial<RealtimeOptions>, 'transport'> {
  /**
   * How to load each adapter package. Defaults to `import('@patchbay/realtime-<provider>')`.
   * Bundlers need literal specifiers to include a package: pass
   * `{ socketio: () => import('@patchbay/realtime-socketio') }` for the providers you ship.
   */
  loaders?: Partial<Record<Exclude<ProviderName, 'memory'>, () => Promise<AdapterModule>>>;
  /** For `provider: 'memory'`: the hub to share. Default: a new one. */
  hub?: MemoryHub;
}

const PACKAGES: Record<Exclude<ProviderName, 'memory'>, string> = {
  socketio: '@patchbay/realtime-socketio',
  sse: '@patchbay/realtime-sse',
  pusher: '@patchbay/realtime-pusher',
  ably: '@patchbay/realtime-ably',
  supabase: '@patchbay/realtime-supabase',
};

/**
 * Parse a config (e.g. from a file or env) and build a client on the chosen provider, loading only
 * that adapter. Switching provider is one changed field. Invalid config throws `ConfigError`
 * naming every bad field; a missing adapter package throws `RealtimeError` (`adapter_missing`)
 * naming the package to install.
 */
export async function createRealtimeFromConfig(
  config: RealtimeConfig,
  extras: RealtimeConfigExtras = {},
): Promise<RealtimeClient> {
  const parsed = parseRealtimeConfig(config);
  const {
    provider,
    clientId,
    echo,
    publishTimeoutMs,
    reconnect: reconnectOptions,
    queue,
    ...adapterOptions
  } = parsed;
  const { loaders, hub, ...options } = extras;
  let transport: Transport;
  if (provider === 'memory') {
    transport = memoryTransport({ hub: hub ?? new MemoryHub() });
  } else {
    transport = await loadTransport(
      provider,
      adapterOptionsFor(provider, adapterOptions, options.auth !== undefined),
      loaders?.[provider],
    );
  }
  return createRealtime({
    ...options,
    transport,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(echo !== undefined ? { echo } : {}),
    ...(publishTimeoutMs !== undefined ? { publishTimeoutMs } : {}),
    ...(reconnectOptions !== undefined
      ? { reconnect: { ...options.reconnect, ...reconnectOptions } }
      : {}),
    ...(queue !== undefined ? { queue: { ...options.queue, ...queue } } : {}),
  } as RealtimeOptions);
}

/** Validate a config without building a client; throws `ConfigError` naming each bad field. */
export function parseRealtimeConfig(config: unknown): z.output<typeof realtimeConfigSchema> {
  const result = realtimeConfigSchema.safeParse(config, { reportInput: true });
  if (result.success) return result.data;
  const provider =
    typeof config === 'object' && config !== null
      ? (config as { provider?: unknown }).provider
      : undefined;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length > 0 ? `${issue.path.map(String).join('.')}.` : '';
      return `unknown field(s) ${issue.keys.map((k) => `"${prefix}${k}"`).join(', ')} for provider "${String(provider)}"`;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return `"${field}" ${missing ? 'is required' : issue.message}`;
  });
  throw new ConfigError(
    process.env.NODE_ENV !== 'production'
      ? `Invalid realtime config${typeof provider === 'string' ? ` for provider "${provider}"` : ''}: ${problems.join('; ')}.`
      : productionMessage(
          ErrorCodes.InvalidConfig,
          ...result.error.issues.map((issue) => issue.path.map(String).join('.') || '(config)'),
        ),
    { cause: result.error },
  );
}

/** Shape the config's adapter fields into what the adapter's factory takes. */
function adapterOptionsFor(
  provider: Exclude<ProviderName, 'memory'>,
  options: Record<string, unknown>,
  hasAuth: boolean,
): Record<string, unknown> {
  if (provider === 'pusher') {
    // `host`/`port`/`forceTLS` are the portable spelling of pusher-js's socket options.
    const { host, port, forceTLS, pusherOptions, ...rest } = options as {
      host?: string;
      port?: number;
      forceTLS?: boolean;
      pusherOptions?: Record<string, unknown>;
    };
    return {
      ...rest,
      pusherOptions: {
        ...pusherOptions,
        ...(host !== undefined ? { wsHost: host } : {}),
        ...(port !== undefined ? { wsPort: port, wssPort: port } : {}),
        ...(forceTLS !== undefined ? { forceTLS } : {}),
      },
    };
  }
  if (provider !== 'ably') return options;
  const { clientOptions, ...direct } = options as { clientOptions?: Record<string, unknown> };
  const merged: Record<string, unknown> = { ...clientOptions, ...direct };
  if (!hasAuth && merged.key === undefined && merged.authUrl === undefined) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'Invalid realtime config for provider "ably": set "authUrl" (recommended in browsers) or "key" (servers and local emulators only), or pass auth() in the second argument to issue tokens yourself.'
        : productionMessage(ErrorCodes.InvalidConfig, 'authUrl'),
    );
  }
  return { clientOptions: merged };
}

async function loadTransport(
  provider: Exclude<ProviderName, 'memory'>,
  options: Record<string, unknown>,
  loader: (() => Promise<AdapterModule>) | undefined,
): Promise<Transport> {
  const factory = await loadAdapterExport(
    provider,
    PACKAGES[provider],
    `${provider}Transport`,
    loader,
  );
  return factory(options) as Transport;
}
