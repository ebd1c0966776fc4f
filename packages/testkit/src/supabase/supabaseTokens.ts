import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload, SignJWT } from 'jose';

/** The claims of a verified token (at least `role` and `exp`). */
export type SupabaseClaims = JWTPayload & { role: string; exp: number };

/**
 * Why a token was refused, as Supabase's `ChannelsAuthorization.authorize_conn/3` names it.
 * `expired_token` carries how long ago it expired, which Supabase puts in its message.
 */
export type TokenRefusal =
  | { reason: 'token_malformed' }
  | { reason: 'expected_header_map' }
  | { reason: 'error_generating_signer' }
  | { reason: 'signature_error' }
  | { reason: 'invalid_claim'; claim: string }
  | { reason: 'missing_claims' }
  | { reason: 'expired_token'; secondsAgo: number };

export type TokenCheck =
  | { ok: true; claims: SupabaseClaims }
  | { ok: false; refusal: TokenRefusal };

const HS_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

/**
 * Verify a JWT the way Supabase Realtime does (`RealtimeWeb.JwtVerification.verify/3`, then the
 * `role`/`exp` check): claims and header must decode, `alg` must be an HS algorithm (the project
 * has a JWT secret and no JWKS here), the signature must match the secret, `exp` must be in the
 * future and `iat`, when present, a number. `nbf` and `aud` are not checked, as on Supabase.
 */
export async function verifySupabaseToken(raw: string, secret: Uint8Array): Promise<TokenCheck> {
  // Supabase URI-decodes the token and strips whitespace before verifying it.
  let token: string;
  try {
    token = decodeURIComponent(raw).replace(/\s/g, '');
  } catch {
    token = raw.replace(/\s/g, '');
  }
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return refuse({ reason: 'token_malformed' });
  }
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return refuse({ reason: 'expected_header_map' });
  }
  if (!alg || !HS_ALGORITHMS.includes(alg)) return refuse({ reason: 'error_generating_signer' });
  try {
    await compactVerify(token, secret, { algorithms: [alg] });
  } catch {
    return refuse({ reason: 'signature_error' });
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number' || !(claims.exp > now)) {
      return refuse({ reason: 'expired_token', secondsAgo: now - Math.round(Number(claims.exp)) });
    }
  }
  if (claims.iat !== undefined && typeof claims.iat !== 'number') {
    return refuse({ reason: 'invalid_claim', claim: 'iat' });
  }
  if (typeof claims.role !== 'string' || typeof claims.exp !== 'number') {
    return refuse({ reason: 'missing_claims' });
  }
  return { ok: true, claims: { ...claims, exp: Math.round(claims.exp) } as SupabaseClaims };
}

function refuse(refusal: TokenRefusal): TokenCheck {
  return { ok: false, refusal };
}

/**
 * Sign claims with the project's secret (HS256). `iat` defaults to now, `exp` to an hour later and
 * `role` to `authenticated`; a key given as `undefined` is left out, so a test can make a token
 * without `exp`.
 */
export async function signSupabaseToken(
  claims: Record<string, unknown>,
  secret: Uint8Array,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const defaults: Record<string, unknown> = { role: 'authenticated', iat: now, exp: now + 3600 };
  // The caller's claims keep their order (so the demo keys come out byte for byte as the CLI's).
  const withDefaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(claims))
    if (value !== undefined) withDefaults[key] = value;
  for (const [key, value] of Object.entries(defaults))
    if (!(key in claims)) withDefaults[key] = value;
  return new SignJWT(withDefaults as JWTPayload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(secret);
}

/**
 * The API keys the Supabase CLI prints for local development (same claims, so with the CLI's
 * default secret they are the very same strings): `anon` and `service_role`, valid until 2032.
 */
export function demoKeyClaims(role: 'anon' | 'service_role'): Record<string, unknown> {
  return { iss: 'supabase-demo', role, exp: 1983812996, iat: undefined };
}
