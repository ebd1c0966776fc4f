import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HubOptions } from './hub.js';

/**
 * A hub token for `userId`: `<userId>.<base64url HMAC-SHA256 of userId>`. Issue it from your app
 * server (after your own sign-in) and verify it in the hub with `signedTokenAuthenticator` or
 * `patchbay-server --token-secret`. Tokens do not expire: rotate the secret to revoke them all,
 * or write your own `authenticate` (a JWT with `exp`, a session lookup) when you need expiry.
 */
export function signToken(userId: string, secret: string): string {
  if (userId.length === 0) throw new RangeError('signToken needs a non-empty user id.');
  return `${userId}.${signature(userId, secret)}`;
}

/** The user id a token from `signToken(userId, secret)` names, or undefined when it is not one. */
export function verifySignedToken(token: string | undefined, secret: string): string | undefined {
  const dot = token?.lastIndexOf('.') ?? -1;
  if (!token || dot <= 0) return undefined;
  const userId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(signature(userId, secret));
  // Lengths first: timingSafeEqual throws on unequal lengths, and a length says nothing secret.
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
}

/**
 * An `authenticate` hook accepting `signToken(userId, secret)` tokens: the connection is `userId`,
 * whatever clientId the client asked for.
 */
export function signedTokenAuthenticator(secret: string): NonNullable<HubOptions['authenticate']> {
  return ({ token }) => {
    const userId = verifySignedToken(token, secret);
    return userId === undefined ? null : { clientId: userId };
  };
}

function signature(userId: string, secret: string): string {
  return createHmac('sha256', secret).update(userId).digest('base64url');
}
