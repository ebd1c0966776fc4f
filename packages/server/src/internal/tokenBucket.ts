/** A token bucket: `burst` operations at once, refilled at `perSecond`. */
export class TokenBucket {
  readonly #perSecond: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  take(now = Date.now()): boolean {
    const elapsed = Math.max(0, now - this.#updatedAt) / 1_000;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perSecond);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
