import type { AdapterModule } from '../config.js';
import type { ChannelDefinition, EventSchemas, InferPublishEvents } from '../defineChannel.js';
import type { StandardSchemaV1 } from '../standardSchema.js';

/** Options of one server-side publish. */
export interface ServerPublishOptions {
  /**
   * Idempotency key. Generated when absent. Pass your own (e.g. derived from the database row
   * and the change) so a retried publish reaches every subscriber's handlers once.
   */
  id?: string;
  /**
   * Who the message is from, as receivers see it (`message.clientId`). Your server vouches for
   * it; set it to the user whose action caused the change, or leave it out for system messages.
   */
  clientId?: string;
}

/**
 * Publishes from an app server to every subscribed client on the provider the config names.
 * One API for every provider: the message reaches handlers with the same envelope (`event`,
 * `data`, `id`, `clientId`) as a client publish.
 */
export interface ServerPublisher {
  /**
   * Publish to a channel defined with `defineChannel`: `data` is typed from the event's schema
   * and validated before anything is sent (`ValidationError` naming the event and the issue).
   * Resolves with the message id once the provider accepted the message.
   */
  publish<TSchemas extends EventSchemas, TEvent extends keyof TSchemas & string>(
    channel: ChannelDefinition<string, TSchemas, StandardSchemaV1 | undefined>,
    event: TEvent,
    data: InferPublishEvents<TSchemas>[TEvent],
    options?: ServerPublishOptions,
  ): Promise<{ id: string }>;
  /**
   * Publish to a channel by name. Resolves with the message id once the provider accepted it;
   * rejects with `PublishRejectedError` (check `retryable`: network failures, 5xx and 429 are
   * worth retrying with the same id, other refusals are not).
   */
  publish(
    channel: string,
    event: string,
    data?: unknown,
    options?: ServerPublishOptions,
  ): Promise<{ id: string }>;
  /** Release what the publisher holds; later publishes reject. */
  close(): Promise<void>;
}

/**
 * A hub in this process: the `Hub` of `@patchbay/realtime-server` (e.g. the SSE hub inside a
 * Next.js app) or core's `MemoryHub`.
 */
export interface InProcessHub {
  publish(
    channel: string,
    event: string,
    data: unknown,
    options?: { id?: string; clientId?: string },
  ): unknown;
}

/** A `pusher` SDK instance (`new Pusher({ appId, key, secret, … })`): only `trigger` is used. */
export interface PusherServerInstance {
  trigger(
    channel: string,
    event: string,
    data: unknown,
    params?: { socket_id?: string },
  ): Promise<unknown>;
}

/** The server half of a Pusher app's credentials; the key and host come from the config. */
export interface PusherServerCredentials {
  appId: string;
  secret: string;
}

/** An `Ably.Rest` created with your API key: only `channels.get(name).publish` is used. */
export interface AblyRestInstance {
  channels: { get(name: string): { publish(message: AblyRestMessage): Promise<unknown> } };
}

/** The Ably message fields the publisher sends. */
export interface AblyRestMessage {
  name?: string;
  data?: unknown;
  id?: string;
  clientId?: string;
  extras?: unknown;
}

/**
 * What the server side needs beyond the (browser-safe) config: secrets and in-process objects.
 * Only the fields of the configured provider are read.
 */
export interface ServerPublisherExtras {
  /**
   * `socketio`, `sse`: the hub in this process (`@patchbay/realtime-server`'s `Hub`), used
   * instead of HTTP. `memory`: the `MemoryHub` your clients use (required).
   */
  hub?: InProcessHub;
  /**
   * `socketio`, `sse` without `hub`: the hub's publish secret (its `--publish-secret` /
   * `PATCHBAY_PUBLISH_SECRET`), sent as `Authorization: Bearer …` to `POST <url>/patchbay/publish`.
   */
  hubSecret?: string;
  /** Where the hub's publish endpoint is. Default `<config.url>/patchbay/publish`. */
  hubPublishUrl?: string;
  /** `pusher`: the app id and secret (with `key`, host and port from the config), or a ready instance. */
  pusher?: PusherServerCredentials | PusherServerInstance;
  /** `ably`: the API key (with endpoint, port and TLS from the config), or a ready `Ably.Rest`. */
  ably?: { key: string } | AblyRestInstance;
  /**
   * `supabase`: the project's service-role key, sent to the REST broadcast endpoint (the URL
   * comes from the config). Keep it on your server.
   */
  supabase?: { serviceKey: string };
  /** The fetch used to reach the hub (and Supabase's REST endpoint). Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /**
   * How to load each provider's server module. Defaults to
   * `import('@patchbay/realtime-<provider>/server')`. Bundlers need literal specifiers: pass
   * `{ pusher: () => import('@patchbay/realtime-pusher/server') }` for the providers you ship.
   */
  loaders?: Partial<Record<'pusher' | 'ably' | 'supabase', () => Promise<AdapterModule>>>;
}

/** One message as a provider's server module sends it: validated, with its id chosen. */
export interface ServerPublishRequest {
  channel: string;
  event: string;
  data: unknown;
  id: string;
  clientId?: string;
}

/**
 * What a provider's server module returns (`pusherServerPublisher`, `ablyServerPublisher`):
 * `publish` resolves once the provider accepted the message and rejects with
 * `PublishRejectedError` saying why and whether a retry can help.
 */
export interface ServerPublishBackend {
  publish(request: ServerPublishRequest): Promise<void>;
  close?(): Promise<void>;
}
