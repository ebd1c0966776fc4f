/**
 * The SSE hub protocol as the transport reads it: reply shapes, stream events dispatched to core,
 * and the errors a failed request or a silent stream becomes (docs/protocol.md).
 */
import { AuthError, ConnectionError, ErrorCodes, RealtimeError } from '@patchbay/realtime-core';
import {
  errorFromWire,
  isDiscontinuityFrame,
  isPresenceFrame,
  isTransportMessage,
  malformedFrameError,
  productionMessage,
  type TransportMessage,
  type TransportSink,
  type WireErrorLike,
} from '@patchbay/realtime-core/transport';
import type { EventSourceMessage } from 'eventsource-parser';

export type WireError = WireErrorLike;

export type OkReply = {
  ok: true;
  recovered?: boolean;
  resynced?: boolean;
  seq?: number;
  epoch?: string;
  messages?: TransportMessage[];
  results?: Reply[];
};
export type Reply = OkReply | { ok: false; error: WireError };

export function dispatch(
  { event, data }: EventSourceMessage,
  sink: TransportSink,
  epochs: Map<string, string>,
): void {
  if (event !== 'message' && event !== 'presence' && event !== 'discontinuity') return;
  // Events are checked before core sees them: a malformed one is dropped, not thrown.
  const frame = parse<unknown>(data);
  if (event === 'message' && isTransportMessage(frame)) sink.message(frame);
  else if (event === 'presence' && isPresenceFrame(frame))
    sink.presence(frame.channel, frame.event);
  else if (event === 'discontinuity' && isDiscontinuityFrame(frame)) {
    epochs.set(frame.channel, frame.epoch);
    sink.discontinuity(frame.channel, frame.reason);
  } else sink.error?.(malformedFrameError('The hub', event, data));
}

export function parse<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}

export function replyError(error: WireError | undefined): RealtimeError {
  return errorFromWire(error);
}

export async function httpError(response: Response): Promise<RealtimeError> {
  const body = (await response.json().catch(() => undefined)) as { error?: WireError } | undefined;
  if (body?.error) return replyError(body.error);
  if (response.status === 401 || response.status === 403) {
    return new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `The hub refused the credentials (HTTP ${response.status}).`
        : productionMessage(ErrorCodes.AuthRejected, response.status),
    );
  }
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    process.env.NODE_ENV !== 'production'
      ? `The hub answered HTTP ${response.status}${response.ok ? ' without a stream body' : ''}.`
      : productionMessage(ErrorCodes.ConnectionFailed, response.status),
    { retryable: response.status >= 500 || response.status === 429 || response.ok },
  );
}

export function unreachable(url: string, error: unknown): RealtimeError {
  if (error instanceof RealtimeError) return error;
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    process.env.NODE_ENV !== 'production'
      ? `Could not reach the Patchbay hub at ${url} (${error instanceof Error ? error.message : String(error)}). Is it running (npx patchbay-server)?`
      : productionMessage(ErrorCodes.ConnectionFailed, url),
    { cause: error, retryable: true },
  );
}

export function lostError(reason: string): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `The SSE stream dropped (${reason}).`
      : productionMessage(ErrorCodes.ConnectionLost, reason),
    { retryable: true },
  );
}

export function silenceError(ms: number): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionLost,
    process.env.NODE_ENV !== 'production'
      ? `No data or heartbeat for ${ms} ms: the stream is presumed dead (a proxy may be buffering or holding it). Reconnecting.`
      : productionMessage(ErrorCodes.ConnectionLost, 'silence', ms),
    { retryable: true },
  );
}

export function timeoutError(op: string, ms: number): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    process.env.NODE_ENV !== 'production'
      ? `The hub did not answer "${op}" within ${ms} ms.`
      : productionMessage(ErrorCodes.ConnectionFailed, op, ms),
    { retryable: true },
  );
}
