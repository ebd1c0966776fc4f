import { ConfigError } from '@patchbay/realtime-core';

/** Browser origins allowed to call the hub from another origin: a list, or `true` for any. */
export type OriginRule = true | string | readonly string[];

/**
 * Check and normalise a configured origin list, so a typo fails at start-up rather than as a
 * refused browser: each entry must be a bare origin (`https://app.example.com`, no path); a
 * trailing `/` is dropped, as browsers never send one.
 */
export function normalizeOrigins(rule: OriginRule, option: string): true | string[] {
  if (rule === true) return true;
  const list = typeof rule === 'string' ? [rule] : [...rule];
  return list.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      url.origin === 'null' ||
      url.pathname !== '/' ||
      url.search ||
      url.hash ||
      url.username ||
      url.password
    ) {
      throw new ConfigError(
        `${option}: "${entry}" is not an origin. List origins as scheme://host[:port], such as https://app.example.com or http://localhost:5173 (no path).`,
      );
    }
    return url.origin;
  });
}

/** Whether a browser request from `origin` may proceed: same origin as `host`, or listed. */
export function originAllowed(
  rule: true | readonly string[],
  origin: string,
  host: string | null | undefined,
): boolean {
  return rule === true || rule.includes(origin) || sameOrigin(origin, host);
}

/**
 * The page and the hub share scheme-less host and port. The scheme is not compared: the `Host`
 * header does not carry it, and a page cannot choose its own `Origin`.
 */
function sameOrigin(origin: string, host: string | null | undefined): boolean {
  if (!host) return false;
  try {
    const page = new URL(origin);
    return new URL(`${page.protocol}//${host}`).host === page.host;
  } catch {
    return false;
  }
}
