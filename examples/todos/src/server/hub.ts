import { createSseHandler, type FetchHandler, Hub } from '@patchbay/realtime-server';
import { validName } from '@/shared/user';

interface InAppHub {
  hub: Hub;
  sse: FetchHandler;
}

const KEY = Symbol.for('patchbay.todos.hub');
const store = globalThis as typeof globalThis & { [KEY]?: InAppHub };

/**
 * The Patchbay hub inside this Next.js process, for `provider: 'sse'`: the route handler at
 * `/patchbay/sse/*` serves its SSE endpoints and the server actions publish to it directly.
 * One per process (kept on `globalThis` so development hot reloads do not start a second one).
 * With several app processes give it a Redis broker (`createRedisBroker`).
 */
export function inAppHub(): InAppHub {
  let current = store[KEY];
  if (!current) {
    const hub = new Hub({
      presenceGraceMs: 3_000,
      // Development identity: the token is the user name (see identity.ts); verify a session here.
      authenticate: ({ token }) => (validName(token) ? { clientId: token } : null),
    });
    current = { hub, sse: createSseHandler(hub) };
    store[KEY] = current;
  }
  return current;
}
