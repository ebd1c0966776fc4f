import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { ScenarioResult } from './format.js';

export type { ScenarioResult } from './format.js';

/**
 * Add a row to the summary table. Call it before asserting, so a failing scenario still shows
 * its figures.
 */
export function record(result: ScenarioResult): void {
  appendFileSync(inject('reliabilityResultsFile'), `${JSON.stringify(result)}\n`);
}

export interface Tally {
  sent: number;
  received: number;
  /** Sent but never received. */
  lost: number;
  /** Deliveries beyond the first of the same message. */
  duplicated: number;
  /** First deliveries that arrived before a message sent earlier. */
  reordered: number;
}

/**
 * Compare what was sent with what arrived, by message key (an id or a counter), in order.
 * `sent` is in publish order; `received` in delivery order, duplicates included.
 */
export function tally(
  sent: readonly (string | number)[],
  received: readonly (string | number)[],
): Tally {
  const position = new Map(sent.map((key, index) => [key, index]));
  const seen = new Set<string | number>();
  let duplicated = 0;
  let reordered = 0;
  let last = -1;
  for (const key of received) {
    if (seen.has(key)) {
      duplicated++;
      continue;
    }
    seen.add(key);
    const index = position.get(key);
    if (index === undefined) continue;
    if (index < last) reordered++;
    last = Math.max(last, index);
  }
  let lost = 0;
  for (const key of sent) if (!seen.has(key)) lost++;
  return { sent: sent.length, received: received.length, lost, duplicated, reordered };
}
