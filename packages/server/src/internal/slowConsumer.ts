import type { WireError } from '../frames.js';

/** The `error` code a connection closed for not reading fast enough gets (SSE and Socket.IO). */
export const SLOW_CONSUMER = 'slow_consumer';

/**
 * How long a slow consumer's link stays half-open after its goodbye: a client that is slow but
 * still reading gets what was buffered, the `slow_consumer` error and a clean end; one that stopped
 * reading is cut then, and its buffered bytes are freed.
 */
export const SLOW_CONSUMER_LINGER_MS = 5_000;

export function slowConsumerError(maxBufferedBytes: number): WireError {
  return {
    code: SLOW_CONSUMER,
    message: `The client did not read fast enough: more than ${maxBufferedBytes} bytes were waiting to be sent to it, so the hub closed the connection. It reconnects and resumes from its last position (missed messages are replayed, or a discontinuity is signalled). Raise the hub's maxBufferedBytes if this client is slow only in bursts.`,
    retryable: true,
  };
}

/**
 * How long a connection may stay over its bound. Bytes written in one event-loop turn count as
 * unsent until the socket reports them written (a turn later at the earliest), so a burst — a
 * server publishing a thousand messages in a loop — looks like backlog even for a reader that
 * keeps up; such a reader drains it well within this.
 */
export const SLOW_CONSUMER_GRACE_MS = 1_000;

/** Over this many times the bound, a connection is closed at once: memory stays bounded meanwhile. */
export const SLOW_CONSUMER_HARD_FACTOR = 4;

export interface BacklogWatch {
  /** After each write: close the connection if its backlog says it is not keeping up. */
  check(): void;
  /** The connection ended: stop watching. */
  stop(): void;
}

/**
 * Decide when a connection is a slow consumer: its unsent bytes stay over `bound` for
 * `SLOW_CONSUMER_GRACE_MS`, or pass `SLOW_CONSUMER_HARD_FACTOR` × `bound` at any time.
 */
export function watchBacklog(bound: number, unsent: () => number, close: () => void): BacklogWatch {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const stop = () => {
    done = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const closeNow = () => {
    if (done) return;
    stop();
    close();
  };
  return {
    check() {
      if (done) return;
      const bytes = unsent();
      if (bytes <= bound) return;
      if (bytes > bound * SLOW_CONSUMER_HARD_FACTOR) {
        closeNow();
        return;
      }
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (unsent() > bound) closeNow();
      }, SLOW_CONSUMER_GRACE_MS);
      timer.unref?.();
    },
    stop,
  };
}
