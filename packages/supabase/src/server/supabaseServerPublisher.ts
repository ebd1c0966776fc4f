import type { ServerPublishBackend } from '@patchbay/realtime-core/server';
import { publishFromServer, type SupabaseServerPublishOptions } from './publishFromServer.js';

export type SupabaseServerPublisherOptions = SupabaseServerPublishOptions;

/**
 * The Supabase backend of `createServerPublisher` (`@patchbay/realtime-core/server`): a REST
 * broadcast through `publishFromServer`, with the message id and clientId, so receivers see the
 * same envelope as from a client. No SDK is loaded: it is one `fetch`.
 */
export async function supabaseServerPublisher(
  options: SupabaseServerPublisherOptions,
): Promise<ServerPublishBackend> {
  const publish = publishFromServer(options);
  return {
    publish: (request) =>
      publish(request.channel, request.event, request.data, {
        id: request.id,
        ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
      }),
  };
}
