/**
 * Pusher's client-event rate limit, seen from the sender: at most `perSecond` events in any
 * window of one second plus a margin (network jitter can bring two frames closer together on
 * the way to Pusher). A sliding window stays within the limit however Pusher counts it (per
 * second or as a token bucket); events over it would be rejected with error 4301 and lost.
 */
export class ClientEventPacer {
  /** Added to the one-second window, so frames jittered closer together still fit. */
  static readonly MARGIN_MS = 100;
  readonly #perSecond: number;
  readonly #windowMs: number;
  /** Send times of the last `perSecond` events, oldest first. */
  readonly #sent: number[] = [];

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
    this.#windowMs = 1_000 + ClientEventPacer.MARGIN_MS;
  }

  /** Milliseconds until the next event may go out (0: now). */
  delay(now: number): number {
    if (this.#sent.length < this.#perSecond) return 0;
    const oldest = this.#sent[this.#sent.length - this.#perSecond] as number;
    return Math.max(0, oldest + this.#windowMs - now);
  }

  /** Count an event sent now. */
  take(now: number): void {
    this.#sent.push(now);
    if (this.#sent.length > this.#perSecond)
      this.#sent.splice(0, this.#sent.length - this.#perSecond);
  }
}
