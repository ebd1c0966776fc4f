import type { InboundMessage, PaginatedResult, RealtimeChannel } from 'ably';

/** Where a channel's stream was last seen. Survives reconnects: recovery reads from it. */
export interface ChannelCursor {
  /** Patchbay's per-channel sequence number (core's `seq` / `resumeFrom`), counted here. */
  seq: number;
  /** Ably serial of the last message delivered; '' before the first one. */
  serial: string;
}

export interface Replay {
  /** Missed messages, oldest first (only complete replays are delivered). */
  messages: InboundMessage[];
  /** False when history did not reach back to the cursor: core emits discontinuity. */
  complete: boolean;
}

/**
 * Read what a channel missed since `cursor` from Ably history. `untilAttach: true` ends the read
 * exactly at the latest attach (later messages arrive live). Ably serials sort lexicographically
 * in publish order, so the read walks backwards until it meets a serial at or before the cursor,
 * at most `maxPages` pages of 100.
 *
 * Without a cursor (no message was seen since subscribing) nothing marks where this client
 * stopped: an empty history means nothing was missed; anything else cannot be told apart from
 * older messages, so it is reported incomplete (a discontinuity) rather than replayed.
 */
export async function replayMissed(
  channel: RealtimeChannel,
  cursor: string,
  maxPages: number,
): Promise<Replay> {
  const missed: InboundMessage[] = [];
  let page: PaginatedResult<InboundMessage> | null = await channel.history({
    untilAttach: true,
    direction: 'backwards',
    limit: 100,
  });
  let complete = false;
  for (let pages = 1; page && !complete; pages++) {
    for (const message of page.items) {
      if (cursor !== '' && (message.serial ?? '') <= cursor) {
        complete = true;
        break;
      }
      missed.push(message);
    }
    page = !complete && pages < maxPages && page.hasNext() ? await page.next() : null;
  }
  if (cursor === '') complete = missed.length === 0;
  return { messages: missed.reverse(), complete };
}
