import type { Channel } from '../channel.js';
import type { RealtimeError } from '../errors.js';
import type { TransportMessage } from '../transport/types.js';

/**
 * The key of a client's inspection hook, used only by `@patchbay/realtime-core/inspect`.
 * `Symbol.for`, so an inspector from another copy of core still finds it.
 */
export const INSPECT: unique symbol = Symbol.for('patchbay.inspect');

/** What the client tells its inspector, while one is attached. Calls must not throw. */
export interface InspectTap {
  /** A message arrived for a live channel (before dedupe and schema checks). */
  message(message: TransportMessage): void;
  /** An error was reported on `client.on('error')` (or would have been, with a listener). */
  error(error: RealtimeError): void;
}

/** What the client gives its inspector: read-only views and the one test action core must do. */
export interface InspectHook {
  readonly live: ReadonlyMap<string, Channel>;
  /** Drop a connected link as a network failure would; core reconnects with its backoff. */
  drop(error: RealtimeError): void;
}
