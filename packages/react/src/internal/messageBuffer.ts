import type { RealtimeMessage } from '@patchbay/realtime-core';

/**
 * The list behind `useMessages`: newest last, at most `limit` long. Arrivals are coalesced and
 * published once per macrotask, so a burst of a thousand messages is one re-render, not a
 * thousand.
 */
export class MessageBuffer {
  limit: number;
  #snapshot: readonly RealtimeMessage[] = EMPTY;
  #pending: RealtimeMessage[] = [];
  #scheduled: ReturnType<typeof setTimeout> | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(limit: number) {
    this.limit = limit;
  }

  getSnapshot = (): readonly RealtimeMessage[] => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  push(message: RealtimeMessage): void {
    this.#pending.push(message);
    this.#scheduled ??= setTimeout(() => this.flush(), 0);
  }

  flush(): void {
    if (this.#scheduled !== undefined) clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#pending.length === 0) return;
    const next = [...this.#snapshot, ...this.#pending];
    this.#pending = [];
    this.#publish(next);
  }

  /**
   * Put past messages (oldest first) before what arrived live, each id once: a message that came
   * both live and in the history keeps its live place, and the list stays bounded.
   */
  backfill(past: readonly RealtimeMessage[]): void {
    this.flush();
    const live = this.#snapshot;
    const seen = new Set(live.map((message) => message.id));
    const earlier = past.filter((message) => {
      if (seen.has(message.id)) return false;
      seen.add(message.id);
      return true;
    });
    if (earlier.length > 0) this.#publish([...earlier, ...live]);
  }

  /** Keep the newest `limit` and tell the listeners. */
  #publish(next: RealtimeMessage[]): void {
    this.#snapshot = Object.freeze(
      next.length > this.limit ? next.slice(next.length - this.limit) : next,
    );
    for (const listener of [...this.#listeners]) listener();
  }

  clear(): void {
    this.#pending = [];
    if (this.#snapshot.length === 0) return;
    this.#snapshot = EMPTY;
    for (const listener of [...this.#listeners]) listener();
  }
}

export const EMPTY: readonly RealtimeMessage[] = Object.freeze([]);
