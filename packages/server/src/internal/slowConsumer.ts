import type { WireError } from '../frames.js';

/** The `error` code a connection closed for not reading fast enough gets (SSE and Socket.IO). */
export const SLOW_CONSUMER = 'slow_consumer';

export function slowConsumerError(maxBufferedBytes: number): WireError {
  return {
    code: SLOW_CONSUMER,
    message: `The client did not read fast enough: more than ${maxBufferedBytes} bytes were waiting to be sent to it, so the hub closed the connection. It reconnects and resumes from its last position (missed messages are replayed, or a discontinuity is signalled). Raise the hub's maxBufferedBytes or slowConsumerGraceMs if this client is slow only in bursts.`,
    retryable: true,
  };
}

/** Over this many times the bound, a connection is closed at once: memory stays bounded meanwhile. */
export const SLOW_CONSUMER_HARD_FACTOR = 4;

export interface BacklogWatch {
  /** After each write: close the connection if its backlog says it is not keeping up. */
  check(): void;
  /** The connection ended: stop watching. */
  stop(): void;
}

/** The hub's settings a backlog is judged by (see `HubOptions`). */
export interface BacklogLimits {
  readonly maxBufferedBytes: number;
  readonly slowConsumerGraceMs: number;
}

/**
 * Decide when a connection is a slow consumer: its unsent bytes stay over `maxBufferedBytes` for
 * `slowConsumerGraceMs`, or pass `SLOW_CONSUMER_HARD_FACTOR` × `maxBufferedBytes` at any time.
 */
export function watchBacklog(
  limits: BacklogLimits,
  unsent: () => number,
  close: () => void,
): BacklogWatch {
  const bound = limits.maxBufferedBytes;
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
      }, limits.slowConsumerGraceMs);
      timer.unref?.();
    },
    stop,
  };
}
