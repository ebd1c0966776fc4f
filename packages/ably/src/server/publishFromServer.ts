import { ConfigError, PublishRejectedError, validateChannelName } from '@patchbay/realtime-core';
import type * as Ably from 'ably';
import { encodeData } from '../internal/codec.js';

export interface AblyServerPublishOptions {
  /** A server-side `Ably.Rest` created with your API key. */
  rest: Pick<Ably.Rest, 'channels'>;
}

/** Publish one event from your server; resolves when Ably has accepted it. */
export type AblyServerPublish = (
  channel: string,
  event: string,
  data: unknown,
  options?: { id?: string; clientId?: string },
) => Promise<void>;

/**
 * Publish to Patchbay clients from your backend over Ably REST. Data is encoded as the Ably
 * transport reads it (numbers, booleans and null arrive as such), and an `id` makes a retried
 * publish idempotent (Ably and Patchbay both drop the duplicate). `clientId` is who the message
 * is from, as receivers see it (a publish authenticated with an API key may carry any clientId).
 * Refusals reject with `PublishRejectedError`: retryable for network failures, 5xx and 429.
 */
export function publishFromServer(options: AblyServerPublishOptions): AblyServerPublish {
  if (typeof options?.rest?.channels?.get !== 'function') {
    throw new ConfigError(
      'publishFromServer: "rest" must be an Ably.Rest created with your API key.',
    );
  }
  return async (channel, event, data, publishOptions) => {
    validateChannelName(channel);
    if (typeof event !== 'string' || event.length === 0) {
      throw new ConfigError(
        `publishFromServer: the event name must be a non-empty string; got ${JSON.stringify(event)}.`,
      );
    }
    try {
      await options.rest.channels.get(channel).publish({
        name: event,
        ...(publishOptions?.id !== undefined ? { id: publishOptions.id } : {}),
        ...(publishOptions?.clientId !== undefined ? { clientId: publishOptions.clientId } : {}),
        ...encodeData(data),
      });
    } catch (error) {
      // Ably's ErrorInfo carries the HTTP status; without one the request never got an answer.
      const status = (error as { statusCode?: unknown }).statusCode;
      const code = typeof status === 'number' ? status : undefined;
      throw new PublishRejectedError(
        channel,
        event,
        `${code !== undefined ? `Ably answered ${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: code === undefined || code >= 500 || code === 429 },
      );
    }
  };
}
