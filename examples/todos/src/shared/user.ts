/** The development identity cookie: the user name the page chose (see src/server/identity.ts). */
export const USER_COOKIE = 'todos-user';

const NAME = /^[\w.-]{1,40}$/;

/** A name the app accepts: letters, digits, `_`, `.`, `-`; at most 40. */
export function validName(name: string | null | undefined): name is string {
  return typeof name === 'string' && NAME.test(name);
}
