/** How many refused ids are remembered before the barrier starts over. */
const MAX_REFUSED = 10_000;

/**
 * How long later publishes wait for a refused one to come back. Clients resend within their
 * retry delay; one that dropped the refused messages for good is not held up past this.
 */
const HOLD_MS = 10_000;

/**
 * One connection's publish order across retryable refusals. A client pipelines publishes, so
 * when one is refused (Redis away, rate limit) the ones behind it may already be on the wire and
 * would be stored first. After a refusal, later publishes are refused too until one of the
 * refused ids is sent again (the client resends in order), for at most `HOLD_MS`: storage order
 * stays the order the client published in.
 */
export class PublishOrder {
  #refused: { ids: Set<string>; since: number } | undefined;

  /** May this publish be stored now? A refusal here is remembered like any other. */
  admit(id: string): boolean {
    const refused = this.#refused;
    if (!refused) return true;
    if (!refused.ids.has(id) && Date.now() - refused.since < HOLD_MS) {
      this.refused(id);
      return false;
    }
    this.#refused = undefined;
    return true;
  }

  /** This publish was refused with a retryable error. */
  refused(id: string): void {
    if (!this.#refused || this.#refused.ids.size >= MAX_REFUSED) {
      this.#refused = { ids: new Set(), since: Date.now() };
    }
    this.#refused.ids.add(id);
  }
}
