import { randomUUID } from 'node:crypto';
import { DedupeWindow } from '@patchbay/realtime-core/transport';
import { formatSerial, type WireMessage, type WirePresence } from './protocol.js';

/** A connection's view of a channel it is attached to. */
export interface Attachment {
  connectionId: string;
  /** Granted channel modes (Ably flag bits). */
  modes: number;
}

const SEEN_IDS = 2_000;

/**
 * One channel's server-side state: a monotonic serial, the history ring (what REST history and
 * re-attach replay read), the attached connections and the presence set keyed like Ably's
 * (`clientId:connectionId`).
 */
export class EmulatorChannel {
  readonly name: string;
  readonly attached = new Map<string, Attachment>();
  readonly members = new Map<string, WirePresence>();
  #serial = 0;
  #history: WireMessage[] = [];
  /** Serial of the oldest message that may be missing from history (after truncation). */
  #truncatedThrough = 0;
  readonly #seenIds = new DedupeWindow(SEEN_IDS);
  readonly #historyLimit: number;

  constructor(name: string, historyLimit: number) {
    this.name = name;
    this.#historyLimit = historyLimit;
  }

  /** The newest message serial, or undefined while the channel has had no messages. */
  get serial(): string | undefined {
    return this.#serial === 0 ? undefined : formatSerial(this.#serial);
  }

  /**
   * Record a message. Returns it with serial and defaults filled, or undefined when its id was
   * already published (Ably's idempotent publishing: a retried publish is accepted, not repeated).
   */
  append(message: WireMessage, now: number): WireMessage | undefined {
    if (message.id !== undefined) {
      if (!this.#seenIds.add(message.id)) return undefined;
    }
    // Ably gives every delivered message an id; subscribers dedupe on it.
    const stored: WireMessage = {
      ...message,
      id: message.id ?? `emu-${randomUUID()}`,
      timestamp: message.timestamp ?? now,
    };
    if (message.extras?.ephemeral) return stored;
    stored.serial = formatSerial(++this.#serial);
    this.#history.push(stored);
    if (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.shift();
      if (dropped?.serial) this.#truncatedThrough = Number(dropped.serial);
    }
    return stored;
  }

  /**
   * Messages after `serial`, oldest first, or undefined when history no longer reaches back that
   * far (the caller must then report a loss of continuity rather than replay a partial gap).
   */
  since(serial: string): WireMessage[] | undefined {
    const after = Number(serial);
    if (!Number.isFinite(after) || after < this.#truncatedThrough) return undefined;
    return this.#history.filter((m) => Number(m.serial) > after);
  }

  /** History as Ably's REST API pages it: newest first by default, bounded by serial. */
  page(options: { limit: number; backwards: boolean; fromSerial?: string; cursor?: string }): {
    items: WireMessage[];
    next?: string;
  } {
    let items = this.#history.filter(
      (m) => options.fromSerial === undefined || (m.serial ?? '') <= options.fromSerial,
    );
    if (options.backwards) items = [...items].reverse();
    if (options.cursor !== undefined) {
      const cursor = options.cursor;
      items = items.filter((m) =>
        options.backwards ? (m.serial ?? '') < cursor : (m.serial ?? '') > cursor,
      );
    }
    const page = items.slice(0, options.limit);
    const last = page.at(-1);
    return items.length > page.length && last?.serial
      ? { items: page, next: last.serial }
      : { items: page };
  }

  /** Forget stored messages (fault injection): a later re-attach cannot replay across the gap. */
  truncate(): void {
    this.#history = [];
    this.#truncatedThrough = this.#serial;
  }
}

export function memberKey(clientId: string, connectionId: string): string {
  return `${clientId}:${connectionId}`;
}
