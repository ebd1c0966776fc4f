import { ErrorCodes } from '../codes.js';
import { AuthError, productionMessage } from '../errors.js';
import { createMessageId } from '../internal/id.js';
import type { MemoryAuthRejection, MemoryHubAction, MemoryHubOptions } from './types.js';

// Who may do what on a memory hub: the app's `authenticate` and `authorize` hooks, and the
// refusals a test injects with `rejectAuth`. Every refusal is an `AuthError`.

/** Who a connecting client is (the `authenticate` hook, else the token or clientId), or an `AuthError`. */
export async function authenticate(
  hook: MemoryHubOptions['authenticate'],
  token: string | undefined,
  clientId: string | undefined,
): Promise<string> {
  if (hook) {
    try {
      const identity = await hook({ token, clientId });
      if (!identity || typeof identity.clientId !== 'string' || identity.clientId.length === 0) {
        throw new Error('authenticate() must return { clientId }');
      }
      return identity.clientId;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthError(
        process.env.NODE_ENV !== 'production'
          ? `The memory hub rejected the token: ${(error as Error).message}`
          : productionMessage(ErrorCodes.AuthRejected, (error as Error).message),
        {
          cause: error,
        },
      );
    }
  }
  if (token) return token.split('.')[0] || token;
  return clientId ?? `anon-${createMessageId().slice(0, 8)}`;
}

/** Refuse a connect that an injected refusal matches. */
export function checkConnect(rules: ReadonlySet<MemoryAuthRejection>, clientId: string): void {
  if (isRejected(rules, { clientId, action: 'connect' })) {
    throw new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `The memory hub refused the credentials of "${clientId}". Issue a valid token from auth().`
        : productionMessage(ErrorCodes.AuthRejected, clientId),
    );
  }
}

/** Resolves when `clientId` may do `action` on `channel`; rejects with an `AuthError` if not. */
export async function authorize(
  rules: ReadonlySet<MemoryAuthRejection>,
  hook: MemoryHubOptions['authorize'],
  clientId: string,
  channel: string,
  action: MemoryHubAction,
): Promise<void> {
  // A synchronous verdict is not awaited: a hook must not delay a publish behind one that
  // arrives after it (with acks off, publish resolves on hand-off).
  const verdict = isRejected(rules, { clientId, channel, action })
    ? false
    : (hook?.({ clientId, channel, action }) ?? true);
  const allowed = verdict instanceof Promise ? await verdict : verdict;
  if (!allowed) {
    throw new AuthError(
      process.env.NODE_ENV !== 'production'
        ? `"${clientId}" is not allowed to ${action} on "${channel}". Grant it in the hub's authorize() hook, or use a channel this user may access.`
        : productionMessage(ErrorCodes.AuthRejected, clientId, action, channel),
    );
  }
}

function isRejected(
  rules: ReadonlySet<MemoryAuthRejection>,
  request: { clientId: string; channel?: string; action: MemoryHubAction | 'connect' },
): boolean {
  for (const rule of rules) {
    if (rule.clientId !== undefined && rule.clientId !== request.clientId) continue;
    if (rule.channel !== undefined && rule.channel !== request.channel) continue;
    if (rule.action !== undefined && rule.action !== request.action) continue;
    if (rule.channel !== undefined && request.action === 'connect') continue;
    return true;
  }
  return false;
}
