/** A publish waiting for a connection, as stored. Only JSON-safe fields, so storage can persist it. */
export interface QueuedMessage {
  id: string;
  channel: string;
  event: string;
  data: unknown;
  queuedAt: number;
}

/**
 * Where the offline queue keeps messages. `save` receives the whole queue after every change;
 * `load` is read once, before the first flush. Implement it over IndexedDB, AsyncStorage or a
 * file to survive restarts.
 */
export interface QueueStorage {
  load(): QueuedMessage[] | Promise<QueuedMessage[]>;
  save(messages: readonly QueuedMessage[]): void | Promise<void>;
}

/** Keeps the queue in memory: survives reconnects, not page reloads. The default. */
export function memoryQueueStorage(): QueueStorage {
  let stored: QueuedMessage[] = [];
  return {
    load: () => stored.slice(),
    save: (messages) => {
      stored = messages.slice();
    },
  };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface LocalStorageQueueOptions {
  /** Storage key; use one per user so accounts on one device do not share a queue. */
  key?: string;
  /** Defaults to `globalThis.localStorage`. */
  storage?: StorageLike;
}

/**
 * Keeps the queue in `localStorage`, so messages published offline survive a page reload and
 * are sent after the next connect. Unreadable stored data is discarded rather than thrown.
 */
export function localStorageQueueStorage(options: LocalStorageQueueOptions = {}): QueueStorage {
  const key = options.key ?? 'patchbay:queue';
  const resolveStorage = (): StorageLike | undefined =>
    options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  return {
    load() {
      const storage = resolveStorage();
      const raw = storage?.getItem(key);
      if (!raw) return [];
      try {
        const parsed: unknown = JSON.parse(raw);
        return Array.isArray(parsed) ? parsed.filter(isQueuedMessage) : [];
      } catch {
        return [];
      }
    },
    save(messages) {
      const storage = resolveStorage();
      if (!storage) return;
      if (messages.length === 0) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(messages));
    },
  };
}

function isQueuedMessage(value: unknown): value is QueuedMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.channel === 'string' && typeof v.event === 'string';
}
