import type { RealtimeConfig } from '@patchbay/realtime-core/config';
import { createHubServer, Hub, type HubServer } from '@patchbay/realtime-server';
import type { Provider } from '../realtime.config.js';

/** What a provider needs running locally, and how the browser reaches it. */
export interface Backend {
  provider: Provider;
  /** Handed to the page as `/patchbay-config.js`. */
  browserConfig: RealtimeConfig;
  /** Where the page gets a token for its user (`?user=name`), for providers that need one. */
  tokenUrl?: string;
  /** The app server's message history, for providers that keep none (Pusher). */
  historyUrl?: string;
  /** One line for the terminal: what runs where. */
  describe: string;
  /** Stop serving (an outage); `start()` brings it back on the same address with its state. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  host?: string;
  /** 0 picks free ports (tests). */
  port?: number;
}

export async function startBackend(
  provider: Provider,
  options: BackendOptions = {},
): Promise<Backend> {
  switch (provider) {
    case 'socketio':
    case 'sse':
      return startHub(provider, options);
    case 'pusher': {
      const { startPusherBackend } = await import('./pusherBackend.js');
      return startPusherBackend(options);
    }
    case 'ably': {
      const { startAblyBackend } = await import('./ablyBackend.js');
      return startAblyBackend(options);
    }
    case 'supabase': {
      const { startSupabaseBackend } = await import('./supabaseBackend.js');
      return startSupabaseBackend(options);
    }
    case 'memory':
      return {
        provider,
        browserConfig: { provider: 'memory' },
        describe: 'memory: in the page only (no server; tabs do not see each other)',
        stop: async () => {},
        start: async () => {},
        close: async () => {},
      };
  }
}

async function startHub(provider: 'socketio' | 'sse', options: BackendOptions): Promise<Backend> {
  const host = options.host ?? '127.0.0.1';
  // The hub outlives its HTTP server, so a restart keeps history and recovery works.
  // Development identity: the page's token is the user name it chose, taken as is. A real app
  // verifies its session or JWT in authenticate() instead.
  const hub = new Hub({ allowAnonymous: true, presenceGraceMs: 3_000 });
  let port = options.port ?? 8787;
  // Development only: the page is served from another port (Vite), so any origin may connect.
  const allowedOrigins = true;
  let server: HubServer | undefined = await createHubServer({ hub, host, port, allowedOrigins });
  port = server.port;
  const url = server.url;
  return {
    provider,
    browserConfig: { provider, url },
    describe: `Patchbay hub (${provider === 'sse' ? 'SSE' : 'Socket.IO'}) on ${url}`,
    stop: async () => {
      await server?.close();
      server = undefined;
    },
    start: async () => {
      server ??= await createHubServer({ hub, host, port, allowedOrigins });
    },
    close: async () => {
      await server?.close();
      server = undefined;
      await hub.close();
    },
  };
}
