import type { TransportMessage } from '@patchbay/realtime-core/transport';

/**
 * The Patchbay envelope carried as a Supabase Broadcast payload. The broadcast's own `event` is
 * the Patchbay event name, so any Supabase client can listen with
 * `channel.on('broadcast', { event: 'chat' }, …)` and read the app's data at `payload.data`.
 * Shared by the transport and `/server` so both write one shape.
 */
export interface SupabaseEnvelope {
  /** Marks a Patchbay envelope (and its version): other payloads are plain broadcasts. */
  patchbay: 1;
  /** The message id core deduplicates on. */
  id: string;
  data: unknown;
  /** Who sent it, as the sender's transport (or your server) declared it. */
  clientId?: string;
  /** Milliseconds since the epoch, from the sender's clock. */
  timestamp: number;
}

/** Events under this prefix are Patchbay's own signals (typing, leaves), never app messages. */
export const SIGNAL_PREFIX = 'patchbay:';

/** Sent just before a member leaves presence on purpose, so others show it at once. */
export const LEAVE_SIGNAL = 'patchbay:leave';

export function toEnvelope(
  message: { id: string; data: unknown },
  clientId: string | undefined,
  timestamp = Date.now(),
): SupabaseEnvelope {
  return {
    patchbay: 1,
    id: message.id,
    data: message.data === undefined ? null : message.data,
    ...(clientId !== undefined ? { clientId } : {}),
    timestamp,
  };
}

/** What a broadcast payload turned out to be. */
export type Inbound =
  | { kind: 'message'; message: TransportMessage }
  | { kind: 'malformed'; payload: unknown };

/**
 * Read one broadcast. A payload marked as Patchbay's must be a well-formed envelope (otherwise
 * it is malformed and dropped); any other payload is a plain broadcast from a non-Patchbay
 * client, delivered with a generated id and no sender.
 */
export function fromBroadcast(channel: string, event: string, payload: unknown): Inbound {
  const ephemeral = event.startsWith(SIGNAL_PREFIX);
  if (typeof payload !== 'object' || payload === null || !('patchbay' in payload)) {
    return {
      kind: 'message',
      message: {
        channel,
        id: globalThis.crypto.randomUUID(),
        event,
        data: payload ?? null,
        timestamp: Date.now(),
        ...(ephemeral ? { ephemeral } : {}),
      },
    };
  }
  const envelope = payload as Partial<SupabaseEnvelope>;
  if (
    envelope.patchbay !== 1 ||
    typeof envelope.id !== 'string' ||
    envelope.id.length === 0 ||
    !('data' in envelope) ||
    (envelope.clientId !== undefined && typeof envelope.clientId !== 'string') ||
    (envelope.timestamp !== undefined && typeof envelope.timestamp !== 'number')
  ) {
    return { kind: 'malformed', payload };
  }
  const message: TransportMessage = {
    channel,
    id: envelope.id,
    event,
    data: envelope.data ?? null,
    timestamp: envelope.timestamp ?? Date.now(),
  };
  if (envelope.clientId !== undefined) message.clientId = envelope.clientId;
  if (ephemeral) message.ephemeral = true;
  return { kind: 'message', message };
}
