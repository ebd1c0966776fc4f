import { ConfigError } from '@patchbay/realtime-core';

export interface SignSupabaseTokenOptions {
  /** The project's JWT secret (HS256): the Supabase CLI prints it; self-hosted sets it as JWT_SECRET. */
  jwtSecret: string;
  /** The user: becomes `sub`, which the transport reports as the clientId. */
  userId: string;
  /** Default `authenticated` (what your RLS policies for signed-in users check). */
  role?: string;
  /** Lifetime in seconds. Default 3 600. */
  expiresInSeconds?: number;
  /** More claims (e.g. `email`, `app_metadata`) for your policies. */
  claims?: Record<string, unknown>;
}

/**
 * Sign a user's access token with the project's JWT secret, for local and self-hosted setups
 * where your own server (not Supabase Auth) says who a user is: return it from the route that
 * `createRealtime`'s `auth()` calls. Hosted projects signed in with Supabase Auth need none of
 * this: `auth()` returns the session's `access_token`. Uses `jose` (an optional peer of this
 * subpath, loaded only here).
 */
export async function signSupabaseToken(options: SignSupabaseTokenOptions): Promise<string> {
  const { jwtSecret, userId } = options ?? ({} as SignSupabaseTokenOptions);
  if (typeof jwtSecret !== 'string' || jwtSecret.length < 32) {
    throw new ConfigError(
      'signSupabaseToken: "jwtSecret" must be the project\'s JWT secret (at least 32 characters), e.g. process.env.SUPABASE_JWT_SECRET.',
    );
  }
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new ConfigError('signSupabaseToken: "userId" must be the signed-in user\'s id.');
  }
  let jose: typeof import('jose');
  try {
    jose = await import('jose');
  } catch (error) {
    throw new ConfigError(
      'signSupabaseToken needs the "jose" package: install it (pnpm add jose).',
      { cause: error },
    );
  }
  return new jose.SignJWT({ ...options.claims, role: options.role ?? 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${options.expiresInSeconds ?? 3_600}s`)
    .sign(new TextEncoder().encode(jwtSecret));
}
