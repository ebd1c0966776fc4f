/**
 * Phoenix channel frames as Supabase Realtime speaks them (`RealtimeWeb.Socket.V2Serializer`, a
 * superset of Phoenix's V2 JSON serializer, and Phoenix's V1 JSON serializer):
 *
 * - vsn 2.0.0 text: `[join_ref, ref, topic, event, payload]`;
 * - vsn 2.0.0 binary, client → server kind 3 "user broadcast push" (what realtime-js sends for
 *   every `send({ type: 'broadcast', event, payload })`), server → client kind 4 "user broadcast";
 * - vsn 1.0.0 text: `{ topic, event, payload, ref }` objects, no binary.
 */

export type Vsn = '1.0.0' | '2.0.0';

/** A decoded frame. `joinRef`/`ref` are null where the sender left them out. */
export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** What realtime-js sends for a broadcast on vsn 2.0.0: the user's payload stays as bytes. */
export interface UserBroadcastPush extends PhoenixMessage {
  event: 'broadcast';
  userEvent: string;
  encoding: 'json' | 'binary';
  userPayload: Uint8Array;
}

export function isUserBroadcastPush(message: PhoenixMessage): message is UserBroadcastPush {
  return 'userEvent' in message;
}

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;

/** Decode one WebSocket frame; throws on anything Phoenix would refuse (the socket then closes). */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): PhoenixMessage {
  if (isBinary) {
    if (vsn !== '2.0.0') throw new Error('binary frames need vsn 2.0.0');
    return decodeUserBroadcastPush(data);
  }
  const parsed: unknown = JSON.parse(data.toString('utf8'));
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new Error('expected a V2 array');
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    if (typeof topic !== 'string' || typeof event !== 'string') throw new Error('bad V2 frame');
    return { joinRef: refOf(joinRef), ref: refOf(ref), topic, event, payload };
  }
  const object = parsed as Record<string, unknown> | null;
  if (!object || typeof object.topic !== 'string' || typeof object.event !== 'string') {
    throw new Error('expected a V1 object');
  }
  return {
    joinRef: refOf(object.join_ref),
    ref: refOf(object.ref),
    topic: object.topic,
    event: object.event,
    payload: object.payload,
  };
}

function refOf(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function decodeUserBroadcastPush(data: Buffer): UserBroadcastPush {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH) {
    throw new Error(`unsupported binary frame kind ${data[0]}`);
  }
  const sizes = [data[1], data[2], data[3], data[4], data[5]] as number[];
  const encoding = data[6] === 0 ? 'binary' : 'json';
  let offset = 7;
  const [joinRef, ref, topic, userEvent, metadata] = sizes.map((size) => {
    const field = data.subarray(offset, offset + size).toString('utf8');
    offset += size;
    return field;
  }) as [string, string, string, string, string];
  return {
    joinRef,
    ref,
    topic,
    event: 'broadcast',
    // The metadata is parsed for validity only: Supabase does not relay it.
    payload: metadata ? JSON.parse(metadata) : {},
    userEvent,
    encoding,
    userPayload: new Uint8Array(data.subarray(offset)),
  };
}

/** A text frame in the socket's serializer. V1 has no join_ref (Phoenix drops it). */
export function encodeMessage(message: PhoenixMessage, vsn: Vsn): string {
  if (vsn === '2.0.0') {
    return JSON.stringify([
      message.joinRef,
      message.ref,
      message.topic,
      message.event,
      message.payload,
    ]);
  }
  return JSON.stringify({
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    topic: message.topic,
  });
}

/** A `phx_reply`: `{ response, status }`, keys in the order Supabase's encoder writes them. */
export function replyMessage(
  request: Pick<PhoenixMessage, 'joinRef' | 'ref' | 'topic'>,
  status: 'ok' | 'error',
  response: unknown = {},
): PhoenixMessage {
  return {
    joinRef: request.joinRef,
    ref: request.ref,
    topic: request.topic,
    event: 'phx_reply',
    payload: { response, status },
  };
}

/** Kind 4 "user broadcast": `kind, topic_size, event_size, metadata_size, encoding, …, payload`. */
export function encodeUserBroadcast(
  topic: string,
  userEvent: string,
  encoding: 'json' | 'binary',
  userPayload: Uint8Array,
  metadata?: Record<string, unknown>,
): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  const eventBytes = Buffer.from(userEvent, 'utf8');
  const metaBytes = Buffer.from(metadata ? JSON.stringify(metadata) : '', 'utf8');
  for (const [name, bytes] of [
    ['topic', topicBytes],
    ['user_event', eventBytes],
    ['metadata', metaBytes],
  ] as const) {
    if (bytes.length > 255) throw new Error(`${name} must be at most 255 bytes`);
  }
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    encoding === 'json' ? 1 : 0,
  ]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, userPayload]);
}
