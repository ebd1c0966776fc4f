import { localStorageQueueStorage } from '@patchbay/realtime-core';
import type { RealtimeConfig, RealtimeConfigExtras } from '@patchbay/realtime-core/config';

/** What `/patchbay-config.js` tells the page: the provider and where its server is. */
export interface BrowserConfig {
  config: RealtimeConfig;
  /** Providers with token auth (Ably): where to fetch a token for a user. */
  tokenUrl?: string;
  /** The app server's message history, for providers that keep none (Pusher). */
  historyUrl?: string;
}

declare global {
  interface Window {
    __PATCHBAY_CONFIG__?: BrowserConfig;
  }
}

/** The served config: the one line that picks the provider (`realtime.config.ts`). */
export function servedConfig(): BrowserConfig {
  return window.__PATCHBAY_CONFIG__ ?? { config: { provider: 'memory' } };
}

/**
 * What the config cannot say: who the user is, how they authenticate, where the offline queue
 * lives, and how to load each adapter. Only the chosen adapter's chunk is loaded: each loader is
 * a literal import, so the bundler can split them.
 */
export function chatExtras(name: string): RealtimeConfigExtras {
  const { tokenUrl } = servedConfig();
  return {
    clientId: name,
    // Development auth: the hub and the Pusher auth endpoint accept the user name as the token;
    // for Ably the page fetches a token request for its user from the token endpoint.
    auth: tokenUrl
      ? async () => {
          const response = await fetch(`${tokenUrl}?user=${encodeURIComponent(name)}`);
          if (!response.ok) throw new Error(`The token endpoint answered ${response.status}`);
          return response.text();
        }
      : () => name,
    queue: { storage: localStorageQueueStorage({ key: `patchbay-chat:queue:${name}` }) },
    loaders: {
      socketio: () => import('@patchbay/realtime-socketio'),
      sse: () => import('@patchbay/realtime-sse'),
      pusher: () => import('@patchbay/realtime-pusher'),
      ably: () => import('@patchbay/realtime-ably'),
      supabase: () => import('@patchbay/realtime-supabase'),
    },
  };
}

/** The app server's history endpoint, when the provider has no history of its own. */
export function historyUrl(): string | undefined {
  return window.__PATCHBAY_CONFIG__?.historyUrl;
}
