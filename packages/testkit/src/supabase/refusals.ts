import type { TokenRefusal } from './supabaseTokens.js';

/**
 * The HTTP answer to a refused WebSocket upgrade (`RealtimeWeb.UserSocket.handle_error/2`):
 * a status and `{ "error": message }`.
 */
export function connectRefusal(refusal: TokenRefusal | 'missing_api_key'): {
  status: number;
  error: string;
} {
  const reason = typeof refusal === 'string' ? refusal : refusal.reason;
  switch (reason) {
    case 'missing_api_key':
      return { status: 401, error: 'API key is missing' };
    case 'expired_token':
      return { status: 401, error: 'Token has expired' };
    case 'missing_claims':
      return { status: 401, error: 'Fields `role` and `exp` are required in JWT' };
    case 'token_malformed':
      return { status: 401, error: 'The token provided is not a valid JWT' };
    case 'signature_error':
      return { status: 401, error: 'Failed to validate JWT signature' };
    case 'error_generating_signer':
      return {
        status: 401,
        error: 'Failed to generate JWT signer, check your JWT secret or JWKS configuration',
      };
    default:
      return { status: 500, error: 'Error connecting to Realtime' };
  }
}

/** The `reason` of a refused `phx_join` (`RealtimeWeb.RealtimeChannel.join/3`: "Code: message"). */
export function joinRefusalReason(refusal: TokenRefusal): string {
  switch (refusal.reason) {
    case 'expired_token':
      return `InvalidJWTToken: Token has expired ${refusal.secondsAgo} seconds ago`;
    case 'missing_claims':
      return 'InvalidJWTToken: Fields `role` and `exp` are required in JWT';
    case 'token_malformed':
      return 'MalformedJWT: The token provided is not a valid JWT';
    case 'signature_error':
      return 'JwtSignatureError: Failed to validate JWT signature';
    case 'error_generating_signer':
      return 'JwtSignerError: Failed to generate JWT signer, check your JWT secret or JWKS configuration';
    default:
      return 'Unknown Error on Channel';
  }
}

/**
 * The `reason` of a join refused because the tenant's database cannot be reached right now
 * (`{:error, :tenant_database_unavailable}`): transient, a later join can succeed.
 */
export const PROJECT_UNAVAILABLE =
  'UnableToConnectToProject: Realtime was unable to connect to the project database';

/**
 * The `system` error message that closes a joined channel when an `access_token` update is refused
 * (`handle_in("access_token", …)` → `shutdown_response/2`). Supabase writes some reasons as
 * Elixir atoms (`inspect/1`), and so does this.
 */
export function refreshRefusalMessage(refusal: TokenRefusal): string {
  switch (refusal.reason) {
    case 'expired_token':
      return `Token has expired ${refusal.secondsAgo} seconds ago`;
    case 'missing_claims':
      return 'Fields `role` and `exp` are required in JWT';
    case 'token_malformed':
      return 'The token provided is not a valid JWT';
    case 'invalid_claim':
      return `[message: "Invalid token", claim: "${refusal.claim}"]`;
    default:
      return `:${refusal.reason}`;
  }
}

/** Supabase's refusal when RLS (here: the `authorize` hook) grants neither broadcast nor presence read. */
export function unauthorizedTopic(subTopic: string): string {
  return `You do not have permissions to read from this Channel topic: ${subTopic}`;
}
