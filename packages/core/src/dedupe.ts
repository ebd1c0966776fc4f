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
