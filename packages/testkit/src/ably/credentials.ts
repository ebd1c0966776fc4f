import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type WireError, wireError } from './protocol.js';

/** What a channel operation needs in an Ably capability. */
export type Operation = 'subscribe' | 'publish' | 'presence' | 'history';

/** Who a connection or REST request is, and what it may do. */
export interface Principal {
  keyName: string;
  /** The identity a token fixed; undefined for basic auth (the client may choose) and `*`. */
  clientId: string | undefined;
  /** Channel pattern → operations (`*` means all). */
  capability: Record<string, string[]>;
  /** Milliseconds since the epoch after which the token is refused; undefined for keys. */
  expires: number | undefined;
}

interface TokenRequestBody {
  keyName?: string;
  ttl?: number | string;
  capability?: string;
  clientId?: string;
  timestamp?: number;
  nonce?: string;
  mac?: string;
}

const DEFAULT_TTL_MS = 60 * 60 * 1000;

/**
 * Keys, signed token requests and issued tokens, checked the way Ably checks them: the MAC of a
 * token request is HMAC-SHA256 over its fields with the key secret, and a token carries the
 * capability it was requested with (never more than the key's).
 */
export class Credentials {
  readonly keyName: string;
  readonly #secret: string;
  readonly #tokens = new Map<string, Principal>();

  constructor(apiKey: string) {
    const [keyName, secret] = apiKey.split(':');
    if (!keyName || !secret || !keyName.includes('.')) {
      throw new Error(
        `createAblyEmulator: apiKey must look like "appId.keyId:secret"; got ${JSON.stringify(apiKey)}.`,
      );
    }
    this.keyName = keyName;
    this.#secret = secret;
  }

  /** Basic auth: the full key, as sent in `?key=` or `Authorization: Basic`. */
  checkKey(key: string): Principal | WireError {
    const [name, secret] = key.split(':');
    if (name !== this.keyName) return wireError(40400, 404, `No such key "${name ?? ''}".`);
    if (!secret || !safeEqual(secret, this.#secret))
      return wireError(40101, 401, 'Invalid key secret: check the API key you configured.');
    return {
      keyName: this.keyName,
      clientId: undefined,
      capability: { '*': ['*'] },
      expires: undefined,
    };
  }

  checkToken(token: string, now = Date.now()): Principal | WireError {
    const principal = this.#tokens.get(token);
    if (!principal) return wireError(40141, 401, 'Token not recognised: request a new one.');
    if (principal.expires !== undefined && principal.expires <= now)
      return wireError(40142, 401, 'Token expired: request a new one.');
    return principal;
  }

  /** `POST /keys/{keyName}/requestToken`: verify the signed request and issue a token. */
  issueToken(body: TokenRequestBody, now = Date.now()): Record<string, unknown> | WireError {
    if (body.keyName !== this.keyName)
      return wireError(40400, 404, `No such key "${String(body.keyName)}".`);
    const ttl = body.ttl === undefined || body.ttl === '' ? '' : String(body.ttl);
    const signText = [
      body.keyName,
      ttl,
      body.capability ?? '',
      body.clientId ?? '',
      body.timestamp ?? '',
      body.nonce ?? '',
    ].join('\n');
    const mac = createHmac('sha256', this.#secret).update(`${signText}\n`).digest('base64');
    if (typeof body.mac !== 'string' || !safeEqual(body.mac, mac))
      return wireError(
        40101,
        401,
        'Token request signature (mac) is invalid: sign it with the key secret.',
      );
    let capability: Record<string, string[]> = { '*': ['*'] };
    if (body.capability) {
      try {
        capability = JSON.parse(body.capability) as Record<string, string[]>;
      } catch {
        return wireError(40000, 400, 'Token request capability is not valid JSON.');
      }
    }
    const token = `emu-${randomBytes(12).toString('base64url')}`;
    const expires = now + (ttl === '' ? DEFAULT_TTL_MS : Number(ttl));
    const clientId = body.clientId && body.clientId !== '*' ? body.clientId : undefined;
    this.#tokens.set(token, { keyName: this.keyName, clientId, capability, expires });
    return {
      token,
      keyName: this.keyName,
      issued: now,
      expires,
      capability: JSON.stringify(capability),
      ...(body.clientId ? { clientId: body.clientId } : {}),
    };
  }
}

/** Ably's capability check: exact channel names, `*`, and `namespace:*` patterns. */
export function allows(principal: Principal, channel: string, operation: Operation): boolean {
  return Object.entries(principal.capability).some(
    ([pattern, operations]) =>
      matches(pattern, channel) && (operations.includes('*') || operations.includes(operation)),
  );
}

function matches(pattern: string, channel: string): boolean {
  if (pattern === '*' || pattern === channel) return true;
  return pattern.endsWith('*') && channel.startsWith(pattern.slice(0, -1));
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && 'code' in value && 'statusCode' in value;
}
