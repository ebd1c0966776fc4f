/**
 * Remembers the last `size` keys and answers whether a key was seen. Bounded so a long-lived
 * client's memory stays flat: a duplicate arriving after `size` newer keys is no longer
 * recognised, which is why the window should exceed any replay burst. The client keys messages
 * by `channel + '\u0000' + id`, so one window serves every channel and an idle channel costs
 * nothing.
 */
export class DedupeWindow {
  readonly #seen = new Set<string>();
  /** The keys in the window, in order of addition: `#next` is the oldest once the ring is full. */
  readonly #ring: string[] = [];
  readonly #capacity: number;
  #next = 0;

  constructor(size: number) {
    this.#capacity = Math.max(0, Math.floor(size));
  }

  /** Record `key`; returns false if it was already in the window (a duplicate). */
  add(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#capacity === 0) return true;
    const oldest = this.#ring[this.#next];
    if (oldest !== undefined) this.#seen.delete(oldest);
    this.#ring[this.#next] = key;
    this.#next = (this.#next + 1) % this.#capacity;
    this.#seen.add(key);
    return true;
  }

  has(key: string): boolean {
    return this.#seen.has(key);
  }
}
