import type { TransportMessage, TransportPresenceEvent } from '@patchbay/realtime-core/transport';
import { z } from 'zod';

/**
 * The hub's wire protocol, shared by the Socket.IO and SSE endpoints. Every inbound frame is
 * parsed with these schemas; anything else gets an error frame back, never a crash.
 */
const channel = z
  .string()
  .min(1)
  .max(164)
  .regex(/^[A-Za-z0-9_\-=@,.;]+$/, 'not a portable channel name');
const event = z.string().min(1).max(200);
const id = z.string().min(1).max(200);

/** Deepest nesting accepted in `data`: far beyond real payloads, well within what JSON.stringify can walk. */
const MAX_DATA_DEPTH = 1_000;

/** True when `value` nests objects/arrays at most MAX_DATA_DEPTH levels (checked without recursion). */
function withinDepth(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > MAX_DATA_DEPTH) return false;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return true;
}
const data = z
  .unknown()
  .optional()
  .refine(withinDepth, `nested deeper than ${MAX_DATA_DEPTH} levels; send flatter data`);

export const subscribeFrame = z
  .object({
    op: z.literal('subscribe'),
    channel,
    resumeFrom: z.number().int().nonnegative().optional(),
    /** The epoch the client's `resumeFrom` belongs to (from an earlier subscribe reply). */
    epoch: z.string().min(1).max(100).optional(),
  })
  .strict();
export const unsubscribeFrame = z.object({ op: z.literal('unsubscribe'), channel }).strict();
export const publishFrame = z
  .object({
    op: z.literal('publish'),
    channel,
    id,
    event,
    // Optional: Socket.IO and JSON drop `undefined`, so "no data" arrives as a missing key.
    data,
    ephemeral: z.boolean().optional(),
  })
  .strict();
export const presenceFrame = z
  .object({
    op: z.literal('presence'),
    channel,
    action: z.enum(['enter', 'update', 'leave']),
    data,
  })
  .strict();
export const historyFrame = z
  .object({
    op: z.literal('history'),
    channel,
    limit: z.number().int().nonnegative().max(1_000).optional(),
    afterSeq: z.number().int().nonnegative().optional(),
  })
  .strict();

export const inboundFrame = z.discriminatedUnion('op', [
  subscribeFrame,
  unsubscribeFrame,
  publishFrame,
  presenceFrame,
  historyFrame,
]);

export type InboundFrame = z.infer<typeof inboundFrame>;

/**
 * What the hub answers to a request. A subscribe answers `recovered: true` when everything after
 * `resumeFrom` was replayed; `resynced: true` when the position belonged to a sequence the hub no
 * longer has (another `epoch`, or past the channel's end): a `discontinuity` frame went first,
 * then every message the channel holds now.
 */
export type Reply =
  | {
      ok: true;
      recovered?: boolean;
      resynced?: boolean;
      seq?: number;
      epoch?: string;
      messages?: TransportMessage[];
    }
  | { ok: false; error: WireError };

export interface WireError {
  code: string;
  message: string;
  retryable?: boolean;
}

/** What the hub pushes to a connection. */
export type OutboundFrame =
  | ({ type: 'message' } & TransportMessage)
  | { type: 'presence'; channel: string; event: TransportPresenceEvent }
  /**
   * The channel's sequence restarted (`epoch`) or lost the client's position: what follows is
   * the channel's history from the start of `epoch`, then live messages.
   */
  | { type: 'discontinuity'; channel: string; reason: string; epoch: string }
  | { type: 'error'; error: WireError };

/** A readable summary of a zod failure: `channel: not a portable channel name; id: required`. */
export function describeFrameError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      return `${path || 'frame'}: ${missing ? 'required' : issue.message}`;
    })
    .join('; ');
}

/** A refusal as the wire carries it: `{ ok: false, error: { code, message, retryable? } }`. */
export function wireFailure(
  code: string,
  message: string,
  retryable = false,
): { ok: false; error: WireError } {
  return { ok: false, error: { code, message, ...(retryable ? { retryable } : {}) } };
}

/**
 * One frame per message, shared by every session of this process that delivers it (fan-out hands
 * each session the same broker event), so endpoints can cache its wire form on it. Frames are
 * read-only: links must not change them.
 */
const messageFrames = new WeakMap<TransportMessage, MessageFrame>();

export type MessageFrame = Extract<OutboundFrame, { type: 'message' }>;

export function messageFrame(message: TransportMessage): MessageFrame {
  let frame = messageFrames.get(message);
  if (!frame) {
    frame = { type: 'message', ...message };
    messageFrames.set(message, frame);
  }
  return frame;
}
