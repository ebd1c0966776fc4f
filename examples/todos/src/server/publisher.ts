import { createServerPublisher, type ServerPublisher } from '@patchbay/realtime-core/server';
import { realtimeConfig, selectedProvider } from '../../realtime.config';
import { inAppHub } from './hub';

const KEY = Symbol.for('patchbay.todos.publisher');
const store = globalThis as typeof globalThis & { [KEY]?: Promise<ServerPublisher> };

/**
 * The server's side of the one-line switch: the same config as the pages, so a committed write
 * reaches every tab on whichever provider is chosen. Secrets come from the environment, never
 * from the config (which the browser sees).
 */
export function publisher(): Promise<ServerPublisher> {
  let current = store[KEY];
  if (!current) {
    current = open().catch((error: unknown) => {
      delete store[KEY];
      throw error;
    });
    store[KEY] = current;
  }
  return current;
}

function secret(name: string, what: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: it is ${what}. \`pnpm dev\` sets it for the local backends.`,
    );
  }
  return value;
}

function open(): Promise<ServerPublisher> {
  const config = realtimeConfig(process.env.PATCHBAY_APP_URL ?? 'http://127.0.0.1:3000');
  // Literal imports, so the bundler includes the provider modules the switch can pick.
  const loaders = {
    pusher: () => import('@patchbay/realtime-pusher/server'),
    ably: () => import('@patchbay/realtime-ably/server'),
    supabase: () => import('@patchbay/realtime-supabase/server'),
  };
  switch (selectedProvider()) {
    case 'sse':
      // The hub is in this process: publish to it directly.
      return createServerPublisher(config, { hub: inAppHub().hub });
    case 'socketio':
      return createServerPublisher(config, {
        hubSecret: secret('PATCHBAY_PUBLISH_SECRET', "the hub's publish secret (--publish-secret)"),
      });
    case 'pusher':
      return createServerPublisher(config, {
        loaders,
        pusher: {
          appId: secret('PUSHER_APP_ID', 'the Pusher app id'),
          secret: secret('PUSHER_SECRET', 'the Pusher app secret'),
        },
      });
    case 'ably':
      return createServerPublisher(config, {
        loaders,
        ably: { key: secret('ABLY_API_KEY', 'an Ably API key') },
      });
    case 'supabase':
      return createServerPublisher(config, {
        loaders,
        supabase: { serviceKey: secret('SUPABASE_SERVICE_KEY', "the project's service-role key") },
      });
  }
}
