import { cookies } from 'next/headers';
import { USER_COOKIE, validName } from '@/shared/user';

/**
 * Development identity: the user is whoever the `todos-user` cookie says (the page sets it from
 * `?user=` or a generated guest name). A real app reads its session here; every endpoint that
 * needs an identity (server actions, the Ably token and Pusher auth endpoints) goes through it.
 */
export async function currentUser(): Promise<string | undefined> {
  const value = (await cookies()).get(USER_COOKIE)?.value;
  return validName(value) ? value : undefined;
}

/** The same rule for route handlers that get a `Request`. */
export function userFromRequest(request: Request): string | undefined {
  const cookie = request.headers.get('cookie') ?? '';
  for (const part of cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === USER_COOKIE) {
      const value = decodeURIComponent(rest.join('='));
      return validName(value) ? value : undefined;
    }
  }
  return undefined;
}
