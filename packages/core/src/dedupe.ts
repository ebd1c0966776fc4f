/**
 * Remembers the last `size` message keys and answers whether a key was seen. Bounded so a
 * long-lived client's memory stays flat: a duplicate arriving after `size` newer messages is
 * no longer recognised, which is why the window should exceed any replay burst.
 */
export class DedupeWindow {
  readonly size: number;
  /** Each key in the window → where its latest addition stands in `#order`. */
  readonly #seen = new Map<string, number>();
  /**
   * Keys in order of addition, the oldest not yet evicted at `#first`. Evicted additions before
   * `#first`, and earlier additions of keys since deleted or added again, stay until the next
   * compaction; eviction skips them. (Evicting through a `Set`'s own insertion order,
   * `values().next()`, costs ~3 µs per eviction on V8: it scans every slot the evictions before
   * it left empty.)
   */
  #order: string[] = [];
  #first = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Record `key`; returns false if it was already in the window (a duplicate). */
  add(key: string): boolean {
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, this.#order.length);
    this.#order.push(key);
    while (this.#seen.size > this.size) {
      const index = this.#first++;
      const oldest = this.#order[index] as string;
      // Skip an addition whose key was deleted or added again since.
      if (this.#seen.get(oldest) === index) this.#seen.delete(oldest);
    }
    if (this.#order.length > 2 * this.#seen.size + 64) this.#compact();
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

  /** Keep only the additions still in the window: amortised O(1) per add. */
  #compact(): void {
    const order: string[] = [];
    for (let index = this.#first; index < this.#order.length; index++) {
      const key = this.#order[index] as string;
      if (this.#seen.get(key) === index) {
        this.#seen.set(key, order.length);
        order.push(key);
      }
    }
    this.#order = order;
    this.#first = 0;
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
