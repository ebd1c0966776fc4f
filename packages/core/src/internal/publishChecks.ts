import { validateChannelName } from '../channelName.js';
import { ErrorCodes } from '../codes.js';
import { productionMessage, RealtimeError, ValidationError } from '../errors.js';
import { RESERVED_EVENT_PREFIX } from '../message.js';
import type { QueuedMessage } from '../queueStorage.js';

/** An event name a client may publish: a non-empty string of at most 200 characters, not reserved. */
export function checkEventName(channel: string, event: string): void {
  if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
    throw new ValidationError(channel, String(event), 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? 'the event name must be a non-empty string of at most 200 characters'
            : 'event name',
      },
    ]);
  }
  if (event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? `event names starting with "${RESERVED_EVENT_PREFIX}" are reserved for Patchbay's own signals`
            : 'reserved event name',
      },
    ]);
  }
}

/** A publish id: a non-empty string of at most 200 characters. */
export function isMessageId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 200;
}

const encoder = new TextEncoder();

/** The payload's UTF-8 size as sent. */
export function jsonSize(channel: string, event: string, data: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify({ event, data });
  } catch (error) {
    throw new ValidationError(channel, event, 'outgoing', [
      {
        path: '',
        message:
          process.env.NODE_ENV !== 'production'
            ? `the payload is not JSON-serializable (${(error as Error).message})`
            : 'not JSON',
      },
    ]);
  }
  return encoder.encode(json ?? '').length;
}

/**
 * An entry read back from queue storage, checked like a publish: an id, the channel name, an
 * event name that is not reserved, then `prepare` (the channel's schema, JSON and size). Rejects
 * with the error to report on `error`, which names the dropped message.
 */
export async function checkRestored(
  stored: unknown,
  prepare: (channel: string, event: string, data: unknown) => unknown,
): Promise<QueuedMessage> {
  const { id, channel, event, data } = (stored ?? {}) as Record<string, unknown>;
  try {
    if (!isMessageId(id)) {
      throw new RealtimeError(
        ErrorCodes.ValidationFailed,
        process.env.NODE_ENV !== 'production' ? 'it has no valid "id"' : 'id',
      );
    }
    validateChannelName(channel);
    checkEventName(channel, event as string);
    return {
      ...(stored as QueuedMessage),
      data: await prepare(channel, event as string, data),
    };
  } catch (error) {
    const cause = error as RealtimeError;
    throw new RealtimeError(
      cause.code,
      process.env.NODE_ENV !== 'production'
        ? `Restored message (id "${id}", event "${event}", channel "${channel}") dropped unsent from the offline queue and its storage: ${cause.message}`
        : productionMessage(cause.code, 'restored', id, cause.message),
      { cause },
    );
  }
}
