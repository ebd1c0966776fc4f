import { bearerToken, HttpProblem } from '@patchbay/realtime-core/http';
import { PORTABLE_NAME } from './envelope.js';

/** Who a request is from, as the app's `authenticate` decides from its token. */
export interface PusherIdentity {
  /** The Patchbay clientId: one user, however many connections. */
  userId: string;
  /** Extra public profile fields shown to other members (kept small: Pusher caps user_info at 1 KB). */
  userInfo?: Record<string, unknown>;
}

/** The app's token check. Return `null` to refuse (401). */
export type PusherAuthenticate = (
  token: string | undefined,
  request: Request,
) => PusherIdentity | null | Promise<PusherIdentity | null>;

/** What a user asks to do on a portable channel name. */
export interface PusherAuthorizeRequest {
  userId: string;
  /** The portable channel name the app uses (without `private-` / `presence-`). */
  channel: string;
  action: 'subscribe' | 'presence' | 'publish';
  request: Request;
}

/** The app's permission check. Return `false` to refuse (403). Default: allow. */
export type PusherAuthorize = (request: PusherAuthorizeRequest) => boolean | Promise<boolean>;

/** Authenticate or throw a 401 problem. */
export async function identify(
  authenticate: PusherAuthenticate,
  request: Request,
): Promise<PusherIdentity> {
  const identity = await authenticate(bearerToken(request), request);
  if (!identity || typeof identity.userId !== 'string' || identity.userId.length === 0) {
    throw new HttpProblem(
      401,
      'unauthenticated',
      'The token was refused. Send a valid token as "Authorization: Bearer <token>" (createRealtime({ auth })).',
    );
  }
  return identity;
}

export async function allow(
  authorize: PusherAuthorize | undefined,
  request: PusherAuthorizeRequest,
): Promise<void> {
  if (!authorize || (await authorize(request))) return;
  throw new HttpProblem(
    403,
    'forbidden',
    `User "${request.userId}" may not ${request.action} on channel "${request.channel}". Grant it in your authorize() hook if this is wrong.`,
  );
}

export function requirePortable(name: unknown, field: string): string {
  if (typeof name !== 'string' || !PORTABLE_NAME.test(name)) {
    throw new HttpProblem(
      400,
      'bad_request',
      `"${field}" must be a portable channel name (1–164 characters from A–Z a–z 0–9 _ - = @ , . ;); got ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

export function requirePost(request: Request): void {
  if (request.method !== 'POST') {
    throw new HttpProblem(405, 'method_not_allowed', `Use POST, not ${request.method}.`);
  }
}
