/** A publish waiting for a connection, as stored. Only JSON-safe fields, so storage can persist it. */
export interface QueuedMessage {
  id: string;
  channel: string;
  event: string;
  data: unknown;
  queuedAt: number;
}

/**
 * Where the offline queue keeps messages. `load` is read once, before the first flush. After
 * every change the queue calls `changed` when the storage has it, otherwise `save` with the whole
 * queue. Implement it over IndexedDB, AsyncStorage or a file to survive restarts.
 *
 * `load` may return what it holds as it is: every entry read back passes the checks a new
 * publish passes (shape and id, channel name, reserved event names, the channel's schema, JSON
 * and size), and one that fails is dropped from the queue and from storage and reported on
 * `client.on('error')` — never sent.
 */
export interface QueueStorage {
  load(): QueuedMessage[] | Promise<QueuedMessage[]>;
  save(messages: readonly QueuedMessage[]): void | Promise<void>;
  /**
   * Optional, used instead of `save`: called after every change with a function that returns the
   * whole queue (a new array each call). Storage that reads it lazily — e.g. once per task, for
   * a burst of publishes or acks — makes a change O(1) instead of O(queue size).
   */
  changed?(current: () => readonly QueuedMessage[]): void;
}

/**
 * Keeps the queue in memory: survives reconnects, not page reloads. The default. It reads the live
 * queue when loaded instead of copying it on every change, so a publish or an ack costs O(1).
 */
export function memoryQueueStorage(): QueueStorage {
  let stored: readonly QueuedMessage[] = [];
  let live: (() => readonly QueuedMessage[]) | undefined;
  return {
    load: () => (live ? live() : stored).slice(),
    save: (messages) => {
      live = undefined;
      stored = messages.slice();
    },
    changed: (current) => {
      live = current;
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

/** Writes some `localStorageQueueStorage` has deferred to the end of the task; see `changed`. */
const pendingWrites = new Set<() => void>();

/**
 * Keeps the queue in `localStorage`, so messages published offline survive a page reload and
 * are sent after the next connect. Unreadable stored data is discarded rather than thrown; entries
 * that fail the publish checks are dropped and reported by the client (see `QueueStorage`).
 *
 * Writes are coalesced: the first change in a task is written at once, later changes in the same
 * task (a burst of publishes, a batch of acks) are written together, once, when the task's
 * microtasks run. That is before the browser can run anything else — an unload, a timer, another
 * event — so a message accepted by `publish()` is in `localStorage` before the page can close. A
 * `load` (e.g. a new client in the same task) first writes anything still pending.
 */
export function localStorageQueueStorage(options: LocalStorageQueueOptions = {}): QueueStorage {
  const key = options.key ?? 'patchbay:queue';
  const resolveStorage = (): StorageLike | undefined =>
    options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  const write = (messages: readonly QueuedMessage[]): void => {
    const storage = resolveStorage();
    if (!storage) return;
    if (messages.length === 0) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(messages));
  };
  let pending: (() => readonly QueuedMessage[]) | undefined;
  let scheduled = false;
  const writePending = (): void => {
    pendingWrites.delete(writePending);
    const current = pending;
    pending = undefined;
    if (current) write(current());
  };
  return {
    load() {
      for (const flush of [...pendingWrites]) {
        try {
          flush();
        } catch {
          // Storage full: the writer's own queue still holds its messages.
        }
      }
      const storage = resolveStorage();
      const raw = storage?.getItem(key);
      if (!raw) return [];
      try {
        const parsed: unknown = JSON.parse(raw);
        // Entries are checked by the queue, which reports the ones it drops.
        return Array.isArray(parsed) ? parsed : [];
      } catch {
        return [];
      }
    },
    save(messages) {
      pending = undefined;
      pendingWrites.delete(writePending);
      write(messages);
    },
    changed(current) {
      pending = current;
      if (scheduled) {
        pendingWrites.add(writePending);
        return;
      }
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        try {
          writePending();
        } catch {
          // Storage full or unavailable: the in-memory queue still holds every message.
        }
      });
      writePending();
    },
  };
}
