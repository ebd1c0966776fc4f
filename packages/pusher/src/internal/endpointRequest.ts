import {
  AuthError,
  ConfigError,
  ConnectionError,
  ErrorCodes,
  PublishRejectedError,
  type RealtimeError,
} from '@patchbay/realtime-core';
import { productionMessage } from '@patchbay/realtime-core/transport';

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
      process.env.NODE_ENV !== 'production'
        ? `Could not reach ${call.url} for ${call.what} (${(error as Error).message}). Is your server running and the URL absolute?`
        : productionMessage(ErrorCodes.ConnectionFailed, call.url, (error as Error).message),
      { cause: error, retryable: true },
    );
  }
  const text = await response.text().catch(() => '');
  if (response.ok) {
    try {
      return text ? (JSON.parse(text) as unknown) : {};
    } catch (error) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `${call.url} answered ${call.what} with invalid JSON; it must return the pusher SDK's JSON.`
          : productionMessage(ErrorCodes.InvalidConfig, call.url),
        { cause: error },
      );
    }
  }
  throw statusError(response.status, detail(text), call);
}

function statusError(status: number, reason: string, call: EndpointCall): RealtimeError {
  if (status === 401) {
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `${call.url} refused the token for ${call.what}: ${reason}. Return a valid token from createRealtime({ auth }), or sign in again.`
        : productionMessage(ErrorCodes.AuthRejected, call.url, status, reason),
    );
  }
  if (status === 403) {
    if (call.publish) {
      return new PublishRejectedError(
        call.publish.channel,
        call.publish.event,
        process.env.NODE_ENV !== 'production'
          ? `${reason} (HTTP 403). Grant it in the publish handler's authorize() if this is wrong.`
          : `${reason} (HTTP 403)`,
      );
    }
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `${call.url} refused ${call.what}: ${reason}. Grant it in your authorize() hook if this is wrong.`
        : productionMessage(ErrorCodes.AuthRejected, call.url, status, reason),
    );
  }
  if (status >= 500 || status === 408 || status === 429) {
    return new ConnectionError(
      ErrorCodes.TransportError,
      process.env.NODE_ENV !== 'production'
        ? `${call.url} failed ${call.what} with HTTP ${status}: ${reason}. It will be retried.`
        : productionMessage(ErrorCodes.TransportError, call.url, status, reason),
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
    process.env.NODE_ENV !== 'production'
      ? `${call.url} answered ${call.what} with HTTP ${status}: ${reason}. Check that it is the handler from @patchbay/realtime-pusher/server.`
      : productionMessage(ErrorCodes.InvalidConfig, call.url, status, reason),
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
