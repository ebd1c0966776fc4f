import { ConfigError, PublishRejectedError, validateChannelName } from '@patchbay/realtime-core';
import { broadcastEndpoint } from '../internal/endpoint.js';
import { type SupabaseEnvelope, toEnvelope } from '../internal/envelope.js';

export interface SupabaseServerPublishOptions {
  /** Your project URL (`https://<ref>.supabase.co`) or its Realtime endpoint. */
  url: string;
  /**
   * A key allowed to send: the project's service-role (secret) key, which bypasses RLS. Keep it
   * on your server.
   */
  serviceKey: string;
  /** Send to private channels (as clients on `private: true` join them). Default false. */
  private?: boolean;
  /** Inject `fetch`. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** Publish one event from your server; resolves when Supabase accepted it (202). */
export type SupabaseServerPublish = (
  channel: string,
  event: string,
  data: unknown,
  options?: { id?: string; clientId?: string },
) => Promise<void>;

/**
 * Publish to Patchbay clients from your backend over Supabase's REST broadcast endpoint
 * (`POST /realtime/v1/api/broadcast`), in the envelope the transport reads (id, data, clientId,
 * timestamp), so receivers see the same message as from a client. An `id` makes a retried
 * publish harmless (Patchbay drops the duplicate). Refusals reject with `PublishRejectedError`:
 * retryable for network failures, 5xx and 429.
 */
export function publishFromServer(options: SupabaseServerPublishOptions): SupabaseServerPublish {
  const broadcast = restBroadcaster(options, 'publishFromServer');
  return async (channel, event, data, publishOptions) => {
    validateChannelName(channel);
    if (typeof event !== 'string' || event.length === 0) {
      throw new ConfigError(
        `publishFromServer: the event name must be a non-empty string; got ${JSON.stringify(event)}.`,
      );
    }
    await broadcast(
      channel,
      event,
      toEnvelope(
        { id: publishOptions?.id ?? globalThis.crypto.randomUUID(), data },
        publishOptions?.clientId,
      ),
    );
  };
}

/** Broadcast one ready envelope; resolves when Supabase accepted it (202). */
export type RestBroadcast = (
  channel: string,
  event: string,
  envelope: SupabaseEnvelope,
) => Promise<void>;

/**
 * The REST broadcast behind `publishFromServer` and `createSupabasePublishHandler`: checks the
 * options once (errors name `caller`), then POSTs each envelope with the service key.
 */
export function restBroadcaster(
  options: SupabaseServerPublishOptions,
  caller: string,
): RestBroadcast {
  if (typeof options?.url !== 'string' || !/^(https?|wss?):\/\/[^/]/.test(options.url)) {
    throw new ConfigError(
      `${caller}: "url" must be your project URL (https://<ref>.supabase.co); got ${JSON.stringify(options?.url)}.`,
    );
  }
  if (typeof options.serviceKey !== 'string' || options.serviceKey.length === 0) {
    throw new ConfigError(
      `${caller}: "serviceKey" must be the project's service-role key (e.g. process.env.SUPABASE_SERVICE_ROLE_KEY).`,
    );
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new ConfigError(`${caller}: no global fetch in this runtime; pass "fetch".`);
  }
  const endpoint = broadcastEndpoint(options.url);
  return async (channel, event, envelope) => {
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          apikey: options.serviceKey,
          authorization: `Bearer ${options.serviceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          messages: [
            { topic: channel, event, payload: envelope, private: options.private === true },
          ],
        }),
      });
    } catch (error) {
      throw new PublishRejectedError(
        channel,
        event,
        `could not reach Supabase's REST broadcast endpoint (${(error as Error).message ?? error}). Check "url"; retrying with the same id is safe.`,
        { cause: error, retryable: true },
      );
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const detail = (await response.text().catch(() => '')).trim();
    const { status } = response;
    throw new PublishRejectedError(
      channel,
      event,
      `Supabase answered ${status}${detail ? `: ${detail}` : ''}.${status === 401 || status === 403 ? ' Check the service-role key (and, for private channels, your RLS policies).' : ''}`,
      { retryable: status >= 500 || status === 429 },
    );
  };
}
