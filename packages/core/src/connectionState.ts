import type { RealtimeError } from './errors.js';

/**
 * The canonical connection states, the same on every provider:
 * `idle → connecting → connected ⇄ reconnecting → disconnected | failed`.
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnected'
  | 'failed';

export interface ConnectionSnapshot {
  state: ConnectionState;
  /**
   * The attempt in progress or scheduled since the last successful connection, starting at 1;
   * 0 while connected, idle or closed.
   */
  attempt: number;
  /** Why the last attempt failed or the link dropped; always set in `failed`. */
  error?: RealtimeError;
  /** When this state began (ms since epoch, from the injected clock). */
  since: number;
  /** When the next attempt is scheduled, while `reconnecting` and waiting out the backoff. */
  nextAttemptAt?: number;
  /**
   * The identity the provider authenticated, set in every `connected` snapshot (absent in the
   * other states). Compare it with `PresenceMember.clientId` to tell yourself from others.
   */
  clientId?: string;
  /** This link's id at the provider, set in every `connected` snapshot (it may change on reconnect). */
  connectionId?: string;
}
