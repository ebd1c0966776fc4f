import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA256 keyed by the app secret: every Pusher signature is one of these. */
export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

export function md5Hex(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/** Constant-time string comparison, so a wrong signature leaks nothing through timing. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What a channel subscription must be signed over, exactly as Pusher defines it. */
export function channelSignaturePayload(
  socketId: string,
  channel: string,
  channelData: string | undefined,
): string {
  return channel.startsWith('presence-')
    ? `${socketId}:${channel}:${channelData ?? ''}`
    : `${socketId}:${channel}`;
}

/** The `auth` string a subscription must carry: `key:hex`. Returns the expected hex too. */
export function expectedChannelAuth(
  key: string,
  secret: string,
  socketId: string,
  channel: string,
  channelData: string | undefined,
): { auth: string; payload: string } {
  const payload = channelSignaturePayload(socketId, channel, channelData);
  return { auth: `${key}:${hmacHex(secret, payload)}`, payload };
}

/** The `auth` a `pusher:signin` must carry: `key:HMAC(socket_id::user::user_data)`. */
export function expectedSigninAuth(
  key: string,
  secret: string,
  socketId: string,
  userData: string,
): string {
  return `${key}:${hmacHex(secret, `${socketId}::user::${userData}`)}`;
}

/**
 * The string the HTTP API signs: `METHOD\npath\nk=v&…` over every query parameter except
 * `auth_signature`, sorted by key, decoded and not re-encoded (what the `pusher` SDK signs).
 */
export function httpSignaturePayload(method: string, path: string, query: URLSearchParams): string {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of query) if (key !== 'auth_signature') pairs.push([key, value]);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method}\n${path}\n${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}
