import type { TransportMessage } from '@patchbay/realtime-core/transport';
import {
  CLIENT_EVENT,
  MESSAGE_PREFIX,
  PRESENCE_PREFIX,
  type PusherEnvelope,
  readEnvelope,
} from './envelope.js';

/** What is known about one Pusher event beyond its name and data. */
export interface PusherEventSource {
  /** The Pusher channel it arrived on (`private-…` or `presence-…`). */
  pusherChannel: string;
  /** On presence channels: the sender's clientId, looked up from the user_id Pusher stamped. */
  verifiedClientId: string | undefined;
  /** Accept ordinary messages sent as client events (only when the app publishes that way). */
  acceptClientMessages: boolean;
}

/**
 * Turn a Pusher event into the message core expects, or `undefined` to drop it. Identity is taken
 * only from where Pusher vouches for it: presence client events carry the sender's user_id, and
 * only the app server (the `/server` helpers) can trigger non-client events. A client event on a
 * private channel is written entirely by its sender, so it arrives without a clientId (and is
 * accepted only when the app publishes as client events); other `client-*` events are not
 * Patchbay's and are dropped.
 */
export function toTransportMessage(
  event: string,
  data: unknown,
  source: PusherEventSource,
): TransportMessage | undefined {
  const envelope = readEnvelope(data);
  const onPresence = source.pusherChannel.startsWith(PRESENCE_PREFIX);
  const channel = source.pusherChannel.slice(
    (onPresence ? PRESENCE_PREFIX : MESSAGE_PREFIX).length,
  );
  if (event === CLIENT_EVENT) {
    if (!envelope) return undefined;
    const signal = envelope.event.startsWith('patchbay:');
    // Signals (typing, presence updates) are only worth anything with Pusher's word for the
    // sender; ordinary messages as client events only when the app publishes that way.
    if (signal ? !onPresence : !source.acceptClientMessages) return undefined;
    // Never the envelope's own claim: any client can write any clientId into it.
    return fromEnvelope(
      channel,
      envelope,
      onPresence ? source.verifiedClientId : undefined,
      signal,
    );
  }
  // Client events other than Patchbay's come from other code (or a forger) and carry no identity.
  if (onPresence || event.startsWith('client-')) return undefined;
  // Server-side triggers: Patchbay's envelope from the /server helpers, or a plain Pusher payload.
  return envelope
    ? fromEnvelope(channel, envelope, envelope.clientId)
    : {
        channel,
        id: globalThis.crypto.randomUUID(),
        event,
        data: data ?? null,
        timestamp: Date.now(),
      };
}

/** Core's message for an envelope on portable `channel`, with the clientId to trust (if any). */
export function fromEnvelope(
  channel: string,
  envelope: PusherEnvelope,
  clientId: string | undefined,
  ephemeral = false,
): TransportMessage {
  const message: TransportMessage = {
    channel,
    id: envelope.id,
    event: envelope.event,
    data: envelope.data,
    timestamp: envelope.timestamp,
  };
  if (clientId !== undefined) message.clientId = clientId;
  if (ephemeral) message.ephemeral = true;
  return message;
}
