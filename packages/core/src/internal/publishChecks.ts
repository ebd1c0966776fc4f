import { ValidationError } from '../errors.js';
import { RESERVED_EVENT_PREFIX } from '../message.js';

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
