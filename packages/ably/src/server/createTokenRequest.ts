import { AuthError, ConfigError } from '@patchbay/realtime-core';
import type * as Ably from 'ably';

/** What a token may do: a channel name (Patchbay names have no `:` namespaces) or `*` → operations. */
export type AblyCapability = Record<string, Ably.capabilityOp[] | ['*']>;

export interface CreateTokenRequestOptions {
  /** A server-side `Ably.Rest` created with your API key (the key never reaches the browser). */
  rest: Pick<Ably.Rest, 'auth'>;
  /** The identity the token fixes: Ably (and Patchbay presence) trust it, never the payload. */
  clientId: string;
  /** Default `{ "*": ["subscribe", "publish", "presence", "history"] }`. Narrow it per user. */
  capability?: AblyCapability;
  /** Token lifetime in ms. Default Ably's (60 minutes). */
  ttlMs?: number;
}

const OPS = new Set(['*', 'subscribe', 'publish', 'presence', 'history', 'channel-metadata']);

/**
 * Sign an Ably TokenRequest for one user with your key. Return it from your token endpoint (or
 * from `auth()` as JSON): the client exchanges it with Ably for a token limited to `capability`,
 * so a user can only do on a channel what you granted.
 */
export async function createTokenRequest(
  options: CreateTokenRequestOptions,
): Promise<Ably.TokenRequest> {
  const { rest, clientId, capability, ttlMs } = options;
  if (typeof rest?.auth?.createTokenRequest !== 'function') {
    throw new ConfigError(
      'createTokenRequest: "rest" must be an Ably.Rest created with your API key.',
    );
  }
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId === '*') {
    throw new AuthError(
      'createTokenRequest: "clientId" must be the authenticated user id (a non-empty string, not "*").',
    );
  }
  if (capability !== undefined) validateCapability(capability);
  const params: Ably.TokenParams = {
    clientId,
    capability: capability ?? { '*': ['subscribe', 'publish', 'presence', 'history'] },
    ...(ttlMs !== undefined ? { ttl: ttlMs } : {}),
  };
  return await rest.auth.createTokenRequest(params);
}

function validateCapability(capability: AblyCapability): void {
  const entries =
    typeof capability === 'object' && capability !== null ? Object.entries(capability) : [];
  const bad = entries.find(
    ([, ops]) => !Array.isArray(ops) || ops.length === 0 || ops.some((op: string) => !OPS.has(op)),
  );
  if (entries.length === 0 || bad) {
    throw new ConfigError(
      `createTokenRequest: "capability" must map channel names or patterns to operations from ${[...OPS].join(', ')}, e.g. { "room-general": ["subscribe", "publish", "presence"] }${bad ? `; "${bad[0]}" is invalid` : ''}.`,
    );
  }
}
