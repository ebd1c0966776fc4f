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
