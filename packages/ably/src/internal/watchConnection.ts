import { ConnectionError, ErrorCodes, type RealtimeError } from '@patchbay/realtime-core';
import {
  productionMessage,
  type TransportConnection,
  type TransportConnectRequest,
} from '@patchbay/realtime-core/transport';
import type * as Ably from 'ably';
import { connectError, isAuthError, lostError } from './errors.js';

export interface ConnectionWatch {
  /** Resolves on the first `connected`; rejects when Ably fails for good before that. */
  opened: Promise<TransportConnection>;
  /** Retrying cannot help (e.g. the app's auth() refused): end the link with `error`. */
  fail(error: RealtimeError): void;
  stop(): void;
}

/**
 * Map the long-lived client's connection states onto core's sink. ably-js reconnects by itself:
 * after the first `connected`, every `disconnected`/`suspended` (a drop, then each failed retry)
 * is one `reconnecting` report, so core counts the attempts; `connected` again is `reconnected`,
 * resumed when Ably kept the same connection (same id, no error on the change: a failed resume
 * comes back with a new id and the reason). Before the first `connected`, failed attempts are
 * reported the same way, since Ably keeps trying; only `failed` (refused credentials, bad
 * options) rejects.
 */
export function watchConnection(
  client: Ably.Realtime,
  request: TransportConnectRequest,
  onConnected: () => void,
): ConnectionWatch {
  const { connection } = client;
  const { sink } = request;
  let lastId: string | undefined;
  /** Token refusals in a row: ably-js renews once through auth(); a refused renewal is final. */
  let refusals = 0;
  let settle!: { resolve(value: TransportConnection): void; reject(error: unknown): void };
  const opened = new Promise<TransportConnection>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const identity = (): TransportConnection => {
    const clientId = client.auth.clientId;
    return {
      ...(clientId && clientId !== '*' ? { clientId } : {}),
      ...(connection.id !== undefined ? { connectionId: connection.id } : {}),
    };
  };
  const fail = (error: RealtimeError) => {
    if (lastId === undefined) settle.reject(error);
    else sink.lost(error);
  };
  const listener = (change: Ably.ConnectionStateChange) => {
    const { current, previous, reason } = change;
    if (current === 'connected') {
      refusals = 0;
      const first = lastId === undefined;
      const resumed = !first && !reason && connection.id === lastId;
      lastId = connection.id ?? '';
      onConnected();
      if (first) settle.resolve(identity());
      else sink.reconnected?.({ ...identity(), resumed });
    } else if (current === 'failed') {
      fail(connectError(reason));
    } else if (current === 'closed') {
      // Patchbay stops listening before it closes its own client: this is the app closing a
      // client it shares, which Patchbay must not reopen behind its back.
      fail(
        new ConnectionError(
          ErrorCodes.ConnectionClosed,
          process.env.NODE_ENV !== 'production'
            ? 'The app closed the shared Ably client: reopen it, then call connect().'
            : productionMessage(ErrorCodes.ConnectionClosed, 'ably'),
        ),
      );
    } else if (
      (current === 'disconnected' || current === 'suspended') &&
      reason &&
      isAuthError(reason) &&
      ++refusals >= 2
    ) {
      // The token auth() gave for the renewal was refused too: ably-js would keep asking for
      // one on every retry. Retrying cannot help: fail with what to fix.
      fail(connectError(reason));
    } else if (
      current === 'disconnected' ||
      current === 'suspended' ||
      (current === 'connecting' && previous === 'connected')
    ) {
      sink.reconnecting?.({
        error: lostError(reason?.message ?? `Ably is ${current}`, reason),
        ...(change.retryIn !== undefined ? { nextAttemptAt: Date.now() + change.retryIn } : {}),
      });
    }
  };
  // Core abandons an attempt by calling disconnect() (stop): `opened` is then never read.
  connection.on(listener);
  if (connection.state === 'connected') listener({ current: 'connected', previous: 'connected' });
  else if (connection.state !== 'connecting') connection.connect();
  return {
    opened,
    fail,
    stop: () => connection.off(listener),
  };
}
