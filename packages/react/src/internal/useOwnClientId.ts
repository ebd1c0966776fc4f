import type { RealtimeClient } from '@patchbay/realtime-core';
import { useCallback, useSyncExternalStore } from 'react';

/** The identity each client last connected as: the snapshot carries it only while connected. */
const lastSeen = new WeakMap<RealtimeClient, string>();

/**
 * This client's authenticated `clientId`: the one it is connected as, or, while it reconnects,
 * the one it last had — so `self` does not flicker into `others` on a blip. `undefined` before
 * the first connection and on the server. Re-renders only when the id changes.
 */
export function useOwnClientId(client: RealtimeClient): string | undefined {
  const read = useCallback(() => {
    const current = client.connection.getSnapshot().clientId;
    if (current !== undefined) lastSeen.set(client, current);
    return current ?? lastSeen.get(client);
  }, [client]);
  return useSyncExternalStore(client.connection.subscribe, read, () => undefined);
}
