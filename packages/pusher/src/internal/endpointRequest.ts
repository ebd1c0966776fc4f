import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  type RealtimeError,
} from '@patchbay/realtime-core';

export type FetchLike = typeof globalThis.fetch;

export interface EndpointCall {
  fetch: FetchLike;
  url: string;
  token: string | undefined;
  body: URLSearchParams | Record<string, unknown>;
  signal?: AbortSignal;
  /** What is being asked, for error messages: "sign-in", "authorization of private-room"… */
  what: string;
  /** Set for publishes: refusals become `PublishRejectedError` naming the channel and event. */
  publish?: { channel: string; event: string };
}

/**
 * POST to one of the app's endpoints (auth or publish) with core's token as a Bearer header and
 * turn every failure into a `RealtimeError` that says what to fix: 401/403 are final
 * (`AuthError`, or `PublishRejectedError` for publishes), other 4xx are configuration problems
 * or refused publishes, network errors, 408, 429 and 5xx are retryable.
 */
export async function callEndpoint(call: EndpointCall): Promise<unknown> {
  const form = call.body instanceof URLSearchParams;
  let response: Response;
  try {
    response = await call.fetch(call.url, {
      method: 'POST',
      headers: {
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        ...(call.token !== undefined ? { authorization: `Bearer ${call.token}` } : {}),
      },
      body: form ? call.body.toString() : JSON.stringify(call.body),
      ...(call.signal ? { signal: call.signal } : {}),
    });
  } catch (error) {
    throw new ConnectionError(
      ErrorCodes.ConnectionFailed,
      `Could not reach ${call.url} for ${call.what} (${(error as Error).message}). Is your server running and the URL absolute?`,
      { cause: error, retryable: true },
    );
  }
  const text = await response.text().catch(() => '');
  if (response.ok) {
    try {
      return text ? (JSON.parse(text) as unknown) : {};
    } catch (error) {
      throw new ConfigError(
        `${call.url} answered ${call.what} with invalid JSON; it must return the pusher SDK's JSON.`,
        { cause: error },
      );
    }
  }
  throw statusError(response.status, detail(text), call);
}

function statusError(status: number, reason: string, call: EndpointCall): RealtimeError {
  if (status === 401) {
    return new AuthError(
      `${call.url} refused the token for ${call.what}: ${reason}. Return a valid token from createRealtime({ auth }), or sign in again.`,
    );
  }
  if (status === 403) {
    if (call.publish) {
      return new PublishRejectedError(
        call.publish.channel,
        call.publish.event,
        `${reason} (HTTP 403). Grant it in the publish handler's authorize() if this is wrong.`,
      );
    }
    return new AuthError(
      `${call.url} refused ${call.what}: ${reason}. Grant it in your authorize() hook if this is wrong.`,
    );
  }
  if (status >= 500 || status === 408 || status === 429) {
    return new ConnectionError(
      ErrorCodes.TransportError,
      `${call.url} failed ${call.what} with HTTP ${status}: ${reason}. It will be retried.`,
      { retryable: true },
    );
  }
  if (call.publish) {
    return new PublishRejectedError(
      call.publish.channel,
      call.publish.event,
      `${reason} (HTTP ${status}).`,
    );
  }
  return new ConfigError(
    `${call.url} answered ${call.what} with HTTP ${status}: ${reason}. Check that it is the handler from @patchbay/realtime-pusher/server.`,
  );
}

function detail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // Not JSON: use the text itself.
  }
  return text.slice(0, 300) || 'no details';
}
