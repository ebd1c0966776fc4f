import { validateChannelName } from '../channelName.js';
import { ErrorCodes } from '../codes.js';
import { type AdapterModule, parseRealtimeConfig, type RealtimeConfig } from '../config.js';
import { isChannelDefinition } from '../defineChannel.js';
import {
  ConfigError,
  ConnectionError,
  PublishRejectedError,
  RealtimeError,
  ValidationError,
} from '../errors.js';
import { loadAdapterExport } from '../internal/adapterExport.js';
import { createMessageId } from '../internal/id.js';
import { runSchema } from '../internal/validate.js';
import { RESERVED_EVENT_PREFIX } from '../message.js';
import { httpHubBackend, inProcessHubBackend } from './internal/hubBackends.js';
import type {
  ServerPublishBackend,
  ServerPublisher,
  ServerPublisherExtras,
  ServerPublishOptions,
} from './types.js';

type Parsed = ReturnType<typeof parseRealtimeConfig>;

const SERVER_MODULES = {
  pusher: '@patchbay/realtime-pusher/server',
  ably: '@patchbay/realtime-ably/server',
  supabase: '@patchbay/realtime-supabase/server',
} as const;

/**
 * The server-side twin of `createRealtimeFromConfig`: from the same config the browser uses,
 * publish to every subscribed client on the configured provider with one API. Secrets never
 * come from the config (it is shipped to browsers); they come from `extras`: `hub` or
 * `hubSecret` (socketio, sse), `pusher` (app id + secret, or an instance), `ably` (key, or an
 * `Ably.Rest`), `hub` (memory). A missing one throws `ConfigError` naming the field to set.
 * Only the configured provider's server module is loaded.
 */
export async function createServerPublisher(
  config: RealtimeConfig,
  extras: ServerPublisherExtras = {},
): Promise<ServerPublisher> {
  const parsed = parseRealtimeConfig(config);
  const backend = await backendFor(parsed, extras);
  let closed = false;

  const publish = async (
    channel: unknown,
    event: string,
    data: unknown,
    options: ServerPublishOptions = {},
  ): Promise<{ id: string }> => {
    if (closed) {
      throw new ConnectionError(
        ErrorCodes.ConnectionClosed,
        'This server publisher was closed; create another with createServerPublisher().',
      );
    }
    const definition = isChannelDefinition(channel) ? channel : undefined;
    const name = definition ? definition.name : channel;
    validateChannelName(name);
    checkEventName(name, event);
    let value = data;
    if (definition) {
      const schema = definition.schemas[event];
      if (!schema) {
        throw new ValidationError(name, event, 'outgoing', [
          {
            path: '',
            message: `"${event}" is not an event of this channel (known: ${Object.keys(definition.schemas).join(', ') || 'none'})`,
          },
        ]);
      }
      const outcome = await runSchema(schema, data);
      if (!outcome.ok) throw new ValidationError(name, event, 'outgoing', outcome.issues);
      value = outcome.value;
    }
    // `undefined` does not survive JSON; "no data" is null on every provider.
    value = value === undefined ? null : value;
    checkSerializable(name, event, value);
    const id = options.id ?? createMessageId();
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
      throw new ConfigError(
        `publish option "id" must be a non-empty string of at most 200 characters; got ${JSON.stringify(id)}.`,
      );
    }
    const { clientId } = options;
    if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) {
      throw new ConfigError(
        `publish option "clientId" must be a non-empty string when given; got ${JSON.stringify(clientId)}.`,
      );
    }
    try {
      await backend.publish({
        channel: name,
        event,
        data: value,
        id,
        ...(clientId !== undefined ? { clientId } : {}),
      });
    } catch (error) {
      if (error instanceof RealtimeError) throw error;
      throw new PublishRejectedError(name, event, describe(error), {
        cause: error,
        retryable: true,
      });
    }
    return { id };
  };

  return {
    publish: publish as ServerPublisher['publish'],
    async close() {
      if (closed) return;
      closed = true;
      await backend.close?.();
    },
  };
}

async function backendFor(
  parsed: Parsed,
  extras: ServerPublisherExtras,
): Promise<ServerPublishBackend> {
  switch (parsed.provider) {
    case 'memory': {
      if (!extras.hub) {
        throw new ConfigError(
          'createServerPublisher: provider "memory" publishes into the MemoryHub your clients use; pass it as extras.hub.',
        );
      }
      return inProcessHubBackend(extras.hub);
    }
    case 'socketio':
    case 'sse': {
      if (extras.hub) return inProcessHubBackend(extras.hub);
      if (typeof extras.hubSecret !== 'string' || extras.hubSecret.length === 0) {
        throw new ConfigError(
          `createServerPublisher: provider "${parsed.provider}" publishes through the hub's POST /patchbay/publish, which needs its publish secret: pass extras.hubSecret (e.g. process.env.PATCHBAY_PUBLISH_SECRET, the value the hub runs with as --publish-secret), or extras.hub when the hub runs in this process.`,
        );
      }
      const fetchImpl = extras.fetch ?? globalThis.fetch;
      if (typeof fetchImpl !== 'function') {
        throw new ConfigError(
          'createServerPublisher: no global fetch in this runtime; pass extras.fetch.',
        );
      }
      return httpHubBackend({
        url: extras.hubPublishUrl ?? `${parsed.url.replace(/\/+$/, '')}/patchbay/publish`,
        secret: extras.hubSecret,
        fetch: fetchImpl,
      });
    }
    case 'pusher': {
      const given = extras.pusher;
      if (!given || (!('trigger' in given) && !(given.appId && given.secret))) {
        throw new ConfigError(
          'createServerPublisher: provider "pusher" needs the app\'s server credentials: pass extras.pusher = { appId, secret } (e.g. from process.env.PUSHER_APP_ID and process.env.PUSHER_SECRET; the key and host come from the config), or a `new Pusher({ … })` instance.',
        );
      }
      const options =
        'trigger' in given
          ? { pusher: given }
          : { pusher: pusherServerOptions(parsed, given.appId, given.secret) };
      return loadBackend('pusher', options, extras.loaders?.pusher);
    }
    case 'ably': {
      const given = extras.ably;
      if (!given || (!('channels' in given) && !given.key)) {
        throw new ConfigError(
          'createServerPublisher: provider "ably" needs an API key on the server: pass extras.ably = { key } (e.g. from process.env.ABLY_API_KEY; endpoint, port and TLS come from the config), or an `Ably.Rest` instance.',
        );
      }
      const options =
        'channels' in given ? { rest: given } : { rest: ablyRestOptions(parsed, given.key) };
      return loadBackend('ably', options, extras.loaders?.ably);
    }
    case 'supabase': {
      const serviceKey = extras.supabase?.serviceKey;
      if (typeof serviceKey !== 'string' || serviceKey.length === 0) {
        throw new ConfigError(
          'createServerPublisher: provider "supabase" sends through Supabase\'s REST broadcast endpoint with the project\'s service-role key: pass extras.supabase = { serviceKey } (e.g. from process.env.SUPABASE_SERVICE_ROLE_KEY; the URL and "private" come from the config).',
        );
      }
      return loadBackend(
        'supabase',
        {
          url: parsed.url,
          serviceKey,
          ...(parsed.private !== undefined ? { private: parsed.private } : {}),
          ...(extras.fetch ? { fetch: extras.fetch } : {}),
        },
        extras.loaders?.supabase,
      );
    }
  }
}

/**
 * The `pusher` SDK's options from the client config. Pusher's HTTP API lives on the socket host
 * for self-hosted servers and the emulator (`host`/`port`, or `pusherOptions.wsHost`/`wsPort`),
 * unless `pusherOptions.httpHost`/`httpPort` say otherwise; on Pusher's service only `cluster`
 * is set and the SDK derives the API host from it.
 */
function pusherServerOptions(
  parsed: Extract<Parsed, { provider: 'pusher' }>,
  appId: string,
  secret: string,
): Record<string, unknown> {
  const extra = parsed.pusherOptions ?? {};
  const string = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const number = (value: unknown) =>
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined;
  const host = string(extra.httpHost) ?? parsed.host ?? string(extra.wsHost);
  const port = number(extra.httpPort) ?? parsed.port ?? number(extra.wsPort);
  const cluster = parsed.cluster ?? string(extra.cluster);
  const tls =
    parsed.forceTLS ?? (typeof extra.forceTLS === 'boolean' ? extra.forceTLS : undefined) ?? true;
  return {
    appId,
    key: parsed.key,
    secret,
    useTLS: tls,
    ...(cluster !== undefined ? { cluster } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port: String(port) } : {}),
  };
}

/** `Ably.Rest` options from the client config: where the service is, with the server's key. */
function ablyRestOptions(
  parsed: Extract<Parsed, { provider: 'ably' }>,
  key: string,
): Record<string, unknown> {
  // The browser's credentials and identity stay with the browser; the server signs with its key.
  const {
    key: _key,
    authUrl: _authUrl,
    authCallback: _authCallback,
    authHeaders: _authHeaders,
    authParams: _authParams,
    authMethod: _authMethod,
    token: _token,
    tokenDetails: _tokenDetails,
    useTokenAuth: _useTokenAuth,
    clientId: _clientId,
    ...connection
  } = parsed.clientOptions ?? {};
  return {
    ...connection,
    ...(parsed.endpoint !== undefined ? { endpoint: parsed.endpoint } : {}),
    ...(parsed.port !== undefined ? { port: parsed.port } : {}),
    ...(parsed.tls !== undefined ? { tls: parsed.tls } : {}),
    key,
  };
}

async function loadBackend(
  provider: 'pusher' | 'ably' | 'supabase',
  options: Record<string, unknown>,
  loader: (() => Promise<AdapterModule>) | undefined,
): Promise<ServerPublishBackend> {
  const factory = await loadAdapterExport(
    provider,
    SERVER_MODULES[provider],
    `${provider}ServerPublisher`,
    loader,
  );
  return (await factory(options)) as ServerPublishBackend;
}

function checkEventName(channel: string, event: unknown): asserts event is string {
  if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
    throw new ValidationError(channel, String(event), 'outgoing', [
      { path: '', message: 'the event name must be a non-empty string of at most 200 characters' },
    ]);
  }
  if (event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message: `event names starting with "${RESERVED_EVENT_PREFIX}" are reserved for Patchbay's own signals`,
      },
    ]);
  }
}

function checkSerializable(channel: string, event: string, data: unknown): void {
  try {
    JSON.stringify(data);
  } catch (error) {
    throw new ValidationError(channel, event, 'outgoing', [
      { path: '', message: `the payload is not JSON-serializable (${describe(error)})` },
    ]);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
