import { PublishRejectedError } from '@patchbay/realtime-core';
import type { ServerPublishBackend } from '@patchbay/realtime-core/server';
import type Pusher from 'pusher';
import { publishFromServer } from './publishFromServer.js';

export interface PusherServerPublisherOptions {
  /** A `pusher` SDK instance, or the options to build one (`new Pusher(options)`). */
  pusher: Pick<Pusher, 'trigger'> | Pusher.Options;
}

/**
 * The Pusher backend of `createServerPublisher` (`@patchbay/realtime-core/server`): triggers
 * through the `pusher` SDK with Patchbay's envelope (see `publishFromServer`), so receivers get
 * the id, event and clientId as on every provider. The SDK is loaded only when options, not an
 * instance, are given. Refusals reject with `PublishRejectedError`, retryable for network
 * failures, 5xx and 429.
 */
export async function pusherServerPublisher(
  options: PusherServerPublisherOptions,
): Promise<ServerPublishBackend> {
  const pusher =
    'trigger' in options.pusher
      ? options.pusher
      : new (await import('pusher')).default(options.pusher);
  return {
    async publish(request) {
      try {
        await publishFromServer(pusher, request);
      } catch (error) {
        const { status, body } = error as { status?: unknown; body?: unknown };
        const code = typeof status === 'number' ? status : undefined;
        const detail = typeof body === 'string' && body.trim() ? body.trim() : String(error);
        throw new PublishRejectedError(
          request.channel,
          request.event,
          code === undefined
            ? `could not reach Pusher's HTTP API (${(error as Error).message ?? detail}). Check the host and port in the config; retrying with the same id is safe.`
            : `Pusher answered ${code}: ${detail}.${code === 401 || code === 403 ? ' Check extras.pusher (appId and secret) against the app key in the config.' : ''}`,
          { cause: error, retryable: code === undefined || code >= 500 || code === 429 },
        );
      }
    },
  };
}
