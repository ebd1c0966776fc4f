import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  RealtimeError,
} from '@patchbay/realtime-core';

export interface EndpointPublish {
  fetch: typeof globalThis.fetch;
  /** `publishEndpoint` as configured: an absolute URL, or a path on the page's origin. */
  endpoint: string;
  token: string | null | undefined;
  body: { channel: string; event: string; data: unknown; id: string };
  signal: AbortSignal;
}

/**
 * The absolute URL of `publishEndpoint`: as given, or a path resolved against the page's origin.
 * A path in a runtime without a page (Node, a worker without `location`) cannot be resolved.
 */
export function endpointUrl(endpoint: string): string {
  if (!endpoint.startsWith('/')) return endpoint;
  const base = (globalThis as { location?: { href?: unknown } }).location?.href;
  if (typeof base !== 'string') {
    throw new ConfigError(
      `supabaseTransport: "publishEndpoint" is the path ${JSON.stringify(endpoint)}, but this runtime has no page to resolve it against; give an absolute URL (https://your-app.example${endpoint}).`,
    );
  }
  return new URL(endpoint, base).toString();
}

/**
 * POST one publish to the app's `createSupabasePublishHandler` with core's token as a Bearer
 * header. Resolves on 2xx (the server's broadcast was accepted by Supabase); otherwise throws the
 * error core expects: retryable for network failures, 408, 429 and 5xx (core resends with the same
 * id, which receivers deduplicate), final for 401 (`AuthError`), 403 and other 4xx
 * (`PublishRejectedError`), and 404/405 (`ConfigError`: the URL is not the handler).
 */
export async function postPublish(call: EndpointPublish): Promise<void> {
  const { channel, event } = call.body;
  const url = endpointUrl(call.endpoint);
  let response: Response;
  try {
    response = await call.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
      },
      body: JSON.stringify(call.body),
      signal: call.signal,
    });
  } catch (error) {
    if (call.signal.aborted && call.signal.reason instanceof RealtimeError) {
      throw call.signal.reason;
    }
    const reason = call.signal.aborted ? call.signal.reason : error;
    throw new ConnectionError(
      ErrorCodes.ConnectionFailed,
      `The publish of "${event}" on "${channel}" could not reach ${url} (${(reason as Error)?.message ?? reason}); it will be sent again with the same id. Is the app server running?`,
      { cause: error, retryable: true },
    );
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  throw statusError(response.status, detail(text), url, channel, event);
}

function statusError(
  status: number,
  reason: string,
  url: string,
  channel: string,
  event: string,
): RealtimeError {
  if (status === 401) {
    return new AuthError(
      `${url} refused the token for the publish of "${event}" on "${channel}": ${reason}. Return a valid token from createRealtime({ auth }), or sign in again.`,
    );
  }
  if (status === 429) {
    return new RealtimeError(
      ErrorCodes.RateLimited,
      `${url} throttled the publish of "${event}" on "${channel}" (HTTP 429: ${reason}); it will be sent again.`,
      { retryable: true },
    );
  }
  if (status >= 500 || status === 408) {
    return new PublishRejectedError(
      channel,
      event,
      `${url} answered HTTP ${status} (${reason}); it will be sent again with the same id.`,
      { retryable: true },
    );
  }
  if (status === 404 || status === 405) {
    return new ConfigError(
      `${url} answered the publish of "${event}" on "${channel}" with HTTP ${status} (${reason}): point "publishEndpoint" at the route that serves createSupabasePublishHandler (POST).`,
    );
  }
  return new PublishRejectedError(
    channel,
    event,
    `${reason} (HTTP ${status} from ${url}).${status === 403 ? ' Grant it in the publish handler’s authorize() if this is wrong.' : ''}`,
  );
}

/** The handler's `{ error: { message } }`, or the start of whatever else the server said. */
function detail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body?.error?.message === 'string') return body.error.message;
  } catch {
    // Not JSON: use the text itself.
  }
  return text.trim().slice(0, 300) || 'no details';
}
