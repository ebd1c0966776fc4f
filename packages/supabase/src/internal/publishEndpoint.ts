import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  RealtimeError,
} from '@patchbay/realtime-core';
import { productionMessage } from '@patchbay/realtime-core/transport';

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
      process.env.NODE_ENV !== 'production'
        ? `supabaseTransport: "publishEndpoint" is the path ${JSON.stringify(endpoint)}, but this runtime has no page to resolve it against; give an absolute URL (https://your-app.example${endpoint}).`
        : productionMessage(ErrorCodes.InvalidConfig, 'publishEndpoint', endpoint),
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
  const what = `the publish of "${event}" on "${channel}" to ${url}`;
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
    const { aborted, reason } = call.signal;
    if (aborted && reason instanceof RealtimeError) throw reason;
    throw new ConnectionError(
      ErrorCodes.ConnectionFailed,
      process.env.NODE_ENV !== 'production'
        ? `Could not reach the app server for ${what} (${((aborted ? reason : error) as Error)?.message}); it will be sent again with the same id. Is the app server running?`
        : productionMessage(
            ErrorCodes.ConnectionFailed,
            url,
            ((aborted ? reason : error) as Error)?.message,
          ),
      { cause: error, retryable: true },
    );
  }
  const text = await response.text().catch(() => '');
  const { status } = response;
  if (response.ok) return;
  const said = `HTTP ${status}: ${detail(text)}`;
  if (status === 401) {
    throw new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `The app server refused the token for ${what} (${said}). Return a valid token from createRealtime({ auth }), or sign in again.`
        : productionMessage(ErrorCodes.AuthRejected, url, said),
    );
  }
  if (status === 429) {
    throw new RealtimeError(
      ErrorCodes.RateLimited,
      process.env.NODE_ENV !== 'production'
        ? `Throttled ${what} (${said}); it will be sent again.`
        : productionMessage(ErrorCodes.RateLimited, url, said),
      { retryable: true },
    );
  }
  if (status === 404 || status === 405) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `No publish handler answered ${what} (${said}): point "publishEndpoint" at the route serving createSupabasePublishHandler (POST).`
        : productionMessage(ErrorCodes.InvalidConfig, 'publishEndpoint', url, said),
    );
  }
  const retryable = status >= 500 || status === 408;
  throw new PublishRejectedError(
    channel,
    event,
    process.env.NODE_ENV !== 'production'
      ? `${url} answered ${said}${retryable ? '; it will be sent again with the same id' : status === 403 ? '; grant it in the handler’s authorize() if this is wrong' : ''}.`
      : `${url} ${said}`,
    { retryable },
  );
}

/** The handler's `{ error: { message } }`, or the start of whatever else the server said. */
function detail(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: use the text itself.
  }
  return text.trim().slice(0, 300) || 'no details';
}
