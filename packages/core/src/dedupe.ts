/**
 * Remembers the last `size` message keys and answers whether a key was seen. Bounded so a
 * long-lived client's memory stays flat: a duplicate arriving after `size` newer messages is
 * no longer recognised, which is why the window should exceed any replay burst.
 */
export class DedupeWindow {
  readonly size: number;
  readonly #seen = new Set<string>();

  constructor(size: number) {
    this.size = size;
  }

  /** Record `key`; returns false if it was already in the window (a duplicate). */
  add(key: string): boolean {
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    if (this.#seen.size > this.size) {
      // Sets iterate in insertion order, so the first key is the oldest.
      const oldest = this.#seen.values().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }

  has(key: string): boolean {
    return this.#seen.has(key);
  }

  delete(key: string): void {
    this.#seen.delete(key);
  }

  get count(): number {
    return this.#seen.size;
  }
}

/**
 * The client's window: the same bound and eviction order as `DedupeWindow` over keys
 * `scope + id`, without building that key per message. Ids are kept per scope (the channel), and
 * a ring of the last `size` additions (scope and id) says which id to forget next.
 */
export class ScopedDedupeWindow {
  readonly #capacity: number;
  readonly #scopes = new Map<string, Set<string>>();
  readonly #ringIds: string[] = [];
  readonly #ringScopes: string[] = [];
  #next = 0;

  constructor(size: number) {
    // `DedupeWindow` evicts once it holds more than `size`, so it keeps floor(size) keys.
    this.#capacity = Math.floor(size);
  }

  /** Record `id` in `scope`; returns false if it was already in the window (a duplicate). */
  add(scope: string, id: string): boolean {
    if (this.#capacity === 0) return true;
    if (this.#scopes.get(scope)?.has(id)) return false;
    const slot = this.#next;
    // Evict first: it may drop this very scope's set when its last id goes.
    if (this.#ringIds.length === this.#capacity) this.#forget(slot);
    let ids = this.#scopes.get(scope);
    if (!ids) {
      ids = new Set();
      this.#scopes.set(scope, ids);
    }
    ids.add(id);
    this.#ringIds[slot] = id;
    this.#ringScopes[slot] = scope;
    this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
    return true;
  }

  has(scope: string, id: string): boolean {
    return this.#scopes.get(scope)?.has(id) ?? false;
  }

  /**
   * Evict the id in `slot`. Every live slot's id is in its scope's current set (a set is dropped
   * only once its last id went), so the scope name finds it; an emptied scope is dropped, so idle
   * channels cost nothing.
   */
  #forget(slot: number): void {
    const scope = this.#ringScopes[slot] as string;
    const ids = this.#scopes.get(scope);
    if (!ids) return;
    ids.delete(this.#ringIds[slot] as string);
    if (ids.size === 0) this.#scopes.delete(scope);
  }
}
