import type { ServerPublishBackend } from '@patchbay/realtime-core/server';
import type * as Ably from 'ably';
import { publishFromServer } from './publishFromServer.js';

export interface AblyServerPublisherOptions {
  /** An `Ably.Rest` created with your API key, or the options to build one. */
  rest: Pick<Ably.Rest, 'channels'> | Ably.ClientOptions;
}

/**
 * The Ably backend of `createServerPublisher` (`@patchbay/realtime-core/server`): a REST
 * publish through `publishFromServer`, with the message id and clientId, so receivers see the
 * same envelope as on every provider. ably-js is loaded only when options, not an instance, are
 * given.
 */
export async function ablyServerPublisher(
  options: AblyServerPublisherOptions,
): Promise<ServerPublishBackend> {
  const rest =
    'channels' in options.rest ? options.rest : new (await import('ably')).Rest(options.rest);
  const publish = publishFromServer({ rest });
  return {
    publish: (request) =>
      publish(request.channel, request.event, request.data, {
        id: request.id,
        ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
      }),
  };
}
