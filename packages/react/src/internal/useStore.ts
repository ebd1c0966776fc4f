import type { ReadableStore } from '@patchbay/realtime-core';
import { useSyncExternalStore } from 'react';

/**
 * Read a core store. `serverSnapshot` is what the server renders and what hydration compares
 * against, so it must not depend on live state.
 */
export function useStore<TSnapshot>(
  store: ReadableStore<TSnapshot>,
  serverSnapshot: () => TSnapshot,
): TSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot);
}
