import { PublishRejectedError, RealtimeError } from '../../errors.js';
import type { InProcessHub, ServerPublishBackend, ServerPublishRequest } from '../types.js';

const options = (request: ServerPublishRequest) => ({
  id: request.id,
  ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
});

/** Publish straight into a hub in this process (`Hub` or `MemoryHub`). */
export function inProcessHubBackend(hub: InProcessHub): ServerPublishBackend {
  return {
    async publish(request) {
      try {
        await hub.publish(request.channel, request.event, request.data, options(request));
      } catch (error) {
        if (error instanceof RealtimeError) throw error;
        // The hub's broker failed (e.g. Redis unreachable): the same id is safe to retry.
        throw new PublishRejectedError(
          request.channel,
          request.event,
          `the hub could not store it (${describe(error)}). Retry with the same id.`,
          { cause: error, retryable: true },
        );
      }
    },
  };
}

/**
 * Publish over the hub's `POST /patchbay/publish` endpoint with its publish secret. Network
 * failures, 5xx and 429 are retryable (the id makes the retry safe); other answers are not.
 */
export function httpHubBackend(init: {
  url: string;
  secret: string;
  fetch: typeof globalThis.fetch;
}): ServerPublishBackend {
  return {
    async publish(request) {
      const { channel, event } = request;
      let response: Response;
      try {
        response = await init.fetch(init.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${init.secret}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ channel, event, data: request.data, ...options(request) }),
        });
      } catch (error) {
        throw new PublishRejectedError(
          channel,
          event,
          `could not reach the hub at ${init.url} (${describe(error)}). Check that the hub runs there; retrying with the same id is safe.`,
          { cause: error, retryable: true },
        );
      }
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const text = await response.text().catch(() => '');
      let wire: { code?: unknown; message?: unknown } | undefined;
      try {
        wire = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
      } catch {
        wire = undefined;
      }
      const said = typeof wire?.message === 'string' ? wire.message : text.slice(0, 200);
      const status = response.status;
      const hint =
        status === 401
          ? ' Set extras.hubSecret to the secret the hub was started with (--publish-secret or PATCHBAY_PUBLISH_SECRET).'
          : status === 404 && wire?.code !== 'not_supported'
            ? ` Nothing answers at ${init.url}: point extras.hubPublishUrl at the hub's publish endpoint.`
            : '';
      throw new PublishRejectedError(
        channel,
        event,
        `the hub answered ${status}${said ? `: ${said}` : '.'}${hint}`,
        { retryable: status >= 500 || status === 429 },
      );
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed" and puts the reason (ECONNREFUSED …) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
