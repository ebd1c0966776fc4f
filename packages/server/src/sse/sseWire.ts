/**
 * Server-Sent Events framing helpers: one event is `id:`, `event:`, `data:` lines and a blank line.
 * Events are UTF-8 `Buffer`s (a `Uint8Array`, as web streams take), encoded once each.
 */

export function encodeEvent(event: string, data: unknown, id?: string): Uint8Array {
  let text = '';
  if (id !== undefined) text += `id: ${id}\n`;
  text += `event: ${event}\n`;
  // JSON never contains a raw newline, so one data line is enough.
  text += `data: ${JSON.stringify(data)}\n\n`;
  return Buffer.from(text);
}

/**
 * A `message` event's wire form, computed once per message and shared by every stream of the
 * process that sends it (the hub hands each session the same frame). `lines` are the `event:` and
 * `data:` lines; `sole` is the whole event for a stream whose cursor holds only this message's
 * channel at this message's seq — the common case, where even the cursor is the same.
 */
export interface EncodedMessage {
  lines: string;
  sole: Uint8Array | undefined;
}

const encodedMessages = new WeakMap<object, EncodedMessage>();

export function encodeMessageEvent(
  frame: { type: 'message'; channel: string; seq?: number | undefined },
  cursor: Map<string, number>,
): Uint8Array {
  let encoded = encodedMessages.get(frame);
  if (!encoded) {
    const { type: _type, ...message } = frame;
    encoded = { lines: `event: message\ndata: ${JSON.stringify(message)}\n\n`, sole: undefined };
    encodedMessages.set(frame, encoded);
  }
  const { seq, channel } = frame;
  if (seq !== undefined && cursor.size === 1 && cursor.get(channel) === seq) {
    encoded.sole ??= Buffer.from(`id: ${encodeCursor(cursor)}\n${encoded.lines}`);
    return encoded.sole;
  }
  return Buffer.from(`id: ${encodeCursor(cursor)}\n${encoded.lines}`);
}

export function encodeComment(comment: string): Uint8Array {
  return Buffer.from(`: ${comment}\n\n`);
}

/**
 * The stream's resume cursor: the last sequence number per channel, as base64url JSON. Sent as
 * the `id:` of every event, so a native EventSource's `Last-Event-ID` resumes every channel.
 */
export function encodeCursor(cursor: Map<string, number>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(cursor))).toString('base64url');
}

export function decodeCursor(value: string | null | undefined): Map<string, number> {
  const cursor = new Map<string, number>();
  if (!value) return cursor;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object') {
      for (const [channel, seq] of Object.entries(parsed)) {
        if (Number.isInteger(seq) && (seq as number) >= 0) cursor.set(channel, seq as number);
      }
    }
  } catch {
    // An unreadable Last-Event-ID resumes nothing; the client gets a fresh stream.
  }
  return cursor;
}
