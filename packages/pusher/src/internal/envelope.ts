/**
 * The Patchbay envelope carried inside a Pusher event's data, so the message id (dedupe), the
 * publisher's authenticated identity and a timestamp survive the trip. Shared by the transport
 * and the `/server` helpers so both sides agree on one shape.
 */
export interface PusherEnvelope {
  id: string;
  event: string;
  data: unknown;
  clientId?: string;
  timestamp: number;
}

/** The Pusher event name client-event publishes travel under (Pusher requires `client-`). */
export const CLIENT_EVENT = 'client-patchbay';

/** Sent on `presence-<name>` just before a member leaves on purpose (see `signalLeave`). */
export const LEAVE_SIGNAL = 'patchbay:leave';

/** Prefixes Patchbay puts in front of portable channel names. */
export const MESSAGE_PREFIX = 'private-';
export const PRESENCE_PREFIX = 'presence-';

/** Portable names: the charset every provider accepts (core validates length and charset too). */
export const PORTABLE_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

/** Read an envelope out of a Pusher event; plain (non-Patchbay) payloads come back as `undefined`. */
export function readEnvelope(data: unknown): PusherEnvelope | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const candidate = data as Partial<PusherEnvelope>;
  if (typeof candidate.id !== 'string' || typeof candidate.event !== 'string') return undefined;
  if (!('data' in candidate)) return undefined;
  return {
    id: candidate.id,
    event: candidate.event,
    data: candidate.data ?? null,
    timestamp: typeof candidate.timestamp === 'number' ? candidate.timestamp : Date.now(),
    ...(typeof candidate.clientId === 'string' ? { clientId: candidate.clientId } : {}),
  };
}

/** The user_info Patchbay's auth handler puts on each presence connection. */
export interface PresenceUserInfo {
  clientId: string;
  /** False for a connection that only watches the member list (Pusher makes it a member anyway). */
  entered: boolean;
  data: unknown;
}

export function readPresenceInfo(info: unknown): PresenceUserInfo | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const candidate = info as Partial<PresenceUserInfo>;
  if (typeof candidate.clientId !== 'string') return undefined;
  return {
    clientId: candidate.clientId,
    entered: candidate.entered === true,
    data: candidate.data ?? null,
  };
}
