import type { InboundMessage, PaginatedResult, RealtimeChannel } from 'ably';

/** Where a channel's stream was last seen: the serial of the newest message (or attach point). */
export interface ChannelCursor {
  /** Patchbay's per-channel sequence number (core's `seq` / `resumeFrom`), counted here. */
  seq: number;
  /** Ably serial of the last message seen, or the attach serial; '' for an empty channel. */
  serial: string;
}

export interface Replay {
  /** Missed messages, oldest first. */
  messages: InboundMessage[];
  /** False when history did not reach back to the cursor (truncated): core emits discontinuity. */
  complete: boolean;
}

/**
 * Read what a channel missed between `cursor` and this attach from Ably history
 * (`untilAttach: true` ends the read exactly at the attach point; later messages arrive live).
 * Ably serials sort lexicographically in publish order, so the read walks backwards until it
 * meets a serial at or before the cursor. Bounded by `maxPages`.
 */
export async function replayMissed(
  channel: RealtimeChannel,
  cursor: string,
  attachSerial: string,
  maxPages: number,
): Promise<Replay> {
  if (attachSerial === cursor) return { messages: [], complete: true };
  const missed: InboundMessage[] = [];
  let page: PaginatedResult<InboundMessage> | null = await channel.history({
    untilAttach: true,
    direction: 'backwards',
    limit: 100,
  });
  let reachedCursor = false;
  for (let pages = 0; page && pages < maxPages && !reachedCursor; pages++) {
    for (const message of page.items) {
      const serial = message.serial ?? '';
      if (cursor !== '' && serial <= cursor) {
        reachedCursor = true;
        break;
      }
      missed.push(message);
    }
    page = !reachedCursor && page.hasNext() ? await page.next() : null;
  }
  missed.reverse();
  // From an empty channel there is no older message to meet: history is complete when it
  // runs from the first message to the attach point.
  const complete =
    reachedCursor || (cursor === '' && page === null && missed.at(-1)?.serial === attachSerial);
  return { messages: missed, complete };
}

/** The serial Ably recorded for the latest attach (not in ably's public types; read defensively). */
export function attachSerialOf(channel: RealtimeChannel): string {
  const properties = (channel as unknown as { properties?: { attachSerial?: string | null } })
    .properties;
  return properties?.attachSerial ?? '';
}
