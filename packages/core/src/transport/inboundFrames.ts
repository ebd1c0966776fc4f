import { ErrorCodes } from '../codes.js';
import { productionMessage, RealtimeError } from '../errors.js';
import type { TransportMessage, TransportPresenceEvent } from './types.js';

/**
 * Shape checks for what a server pushes to a transport. A transport checks every inbound frame
 * before handing it to core: a malformed one is dropped and reported through `sink.error`, never
 * thrown inside the provider's SDK.
 */
export function isTransportMessage(value: unknown): value is TransportMessage {
  const m = value as Partial<TransportMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.channel === 'string' &&
    typeof m.id === 'string' &&
    typeof m.event === 'string' &&
    (m.seq === undefined || typeof m.seq === 'number')
  );
}

const isMember = (m: unknown) =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as { clientId?: unknown }).clientId === 'string' &&
  typeof (m as { connectionId?: unknown }).connectionId === 'string';

/** A presence frame `{ channel, event }` core can apply. */
export function isPresenceFrame(
  value: unknown,
): value is { channel: string; event: TransportPresenceEvent } {
  const frame = value as { channel?: unknown; event?: Record<string, unknown> | null } | null;
  if (typeof frame !== 'object' || frame === null || typeof frame.channel !== 'string')
    return false;
  const event = frame.event;
  if (typeof event !== 'object' || event === null) return false;
  if (event.type === 'sync') return Array.isArray(event.members) && event.members.every(isMember);
  return ['enter', 'update', 'leave'].includes(event.type as string) && isMember(event.member);
}

/**
 * A hub's `{ channel, reason, epoch }` frame: the channel's sequence restarted or lost the
 * client's position; history from the start of `epoch` follows.
 */
export function isDiscontinuityFrame(
  value: unknown,
): value is { channel: string; reason: string; epoch: string } {
  const frame = value as { channel?: unknown; reason?: unknown; epoch?: unknown } | null;
  return (
    typeof frame === 'object' &&
    frame !== null &&
    typeof frame.channel === 'string' &&
    typeof frame.reason === 'string' &&
    typeof frame.epoch === 'string'
  );
}

/** The error a transport reports (through `sink.error`) for an inbound frame it dropped. */
export function malformedFrameError(server: string, kind: string, value: unknown): RealtimeError {
  let sample: string;
  try {
    sample = JSON.stringify(value) ?? String(value);
  } catch {
    sample = String(value);
  }
  if (sample.length > 120) sample = `${sample.slice(0, 120)}…`;
  return new RealtimeError(
    ErrorCodes.InvalidFrame,
    process.env.NODE_ENV !== 'production'
      ? `${server} sent a malformed ${kind} frame; it was dropped and the connection stays up (${sample}). Check that the server and the transport speak the same protocol version.`
      : productionMessage(ErrorCodes.InvalidFrame, server, kind, sample),
  );
}
