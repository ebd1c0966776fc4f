import type Pusher from 'pusher';
import { MESSAGE_PREFIX, type PusherEnvelope } from '../internal/envelope.js';

export interface ServerPublish {
  /** The portable channel name the app uses (Patchbay adds `private-`). */
  channel: string;
  event: string;
  data: unknown;
  /** Idempotency key; repeated ids reach handlers once. Generated when absent. */
  id?: string;
  /** The publisher's identity, stamped by your server after authenticating it. */
  clientId?: string;
  /** A socket_id to leave out of delivery (Pusher's own exclusion), e.g. for `echo: false`. */
  excludeSocketId?: string;
}

/**
 * Publish to Patchbay subscribers from your server through the `pusher` SDK. Wraps the data in
 * Patchbay's envelope (id, event, clientId, timestamp) so receivers get the same message shape,
 * dedupe and identity as on every provider. Resolves with the envelope once Pusher accepted it.
 */
export async function publishFromServer(
  pusher: Pick<Pusher, 'trigger'>,
  message: ServerPublish,
): Promise<PusherEnvelope> {
  const envelope: PusherEnvelope = {
    id: message.id ?? globalThis.crypto.randomUUID(),
    event: message.event,
    data: message.data === undefined ? null : message.data,
    timestamp: Date.now(),
    ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
  };
  await pusher.trigger(
    `${MESSAGE_PREFIX}${message.channel}`,
    message.event,
    envelope,
    message.excludeSocketId !== undefined ? { socket_id: message.excludeSocketId } : {},
  );
  return envelope;
}
