'use client';

import type { RealtimeConfig, RealtimeConfigExtras } from '@patchbay/realtime-core/config';
import { RealtimeDevtools } from '@patchbay/realtime-devtools';
import { RealtimeProvider } from '@patchbay/realtime-react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Component, type ReactNode, useLayoutEffect, useMemo, useState } from 'react';
import { USER_COOKIE } from '@/shared/user';

/**
 * The page's clients: TanStack Query (owns the list) and Patchbay (keeps it in sync), built from
 * the config the server chose. Only the chosen adapter's chunk is loaded: each loader is a literal
 * import, so the bundler splits them.
 */
export function RealtimeRoot({
  config,
  user,
  children,
}: {
  config: RealtimeConfig;
  user: string;
  children: ReactNode;
}) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // Realtime events keep the list fresh; a refetch happens after a gap (discontinuity).
          queries: { staleTime: 60_000 },
        },
      }),
  );
  // Before any child effect connects (the Ably token endpoint reads it) or a server action runs:
  // they identify the user by this cookie (development auth).
  useLayoutEffect(() => {
    // biome-ignore lint/suspicious/noDocumentCookie: one session cookie, set synchronously before anything reads it
    document.cookie = `${USER_COOKIE}=${encodeURIComponent(user)}; path=/; samesite=lax`;
  }, [user]);
  const extras = useMemo<RealtimeConfigExtras>(
    () => ({
      clientId: user,
      // The hub and the Pusher auth endpoint take the user name as the token (development auth);
      // Ably fetches its token from `authUrl`, and Supabase a signed JWT from this app, both for
      // the cookie's user.
      ...(config.provider === 'ably'
        ? {}
        : config.provider === 'supabase'
          ? { auth: fetchSupabaseToken }
          : { auth: () => user }),
      loaders: {
        socketio: () => import('@patchbay/realtime-socketio'),
        sse: () => import('@patchbay/realtime-sse'),
        pusher: () => import('@patchbay/realtime-pusher'),
        ably: () => import('@patchbay/realtime-ably'),
        supabase: () => import('@patchbay/realtime-supabase'),
      },
    }),
    [user, config.provider],
  );
  return (
    <QueryClientProvider client={queryClient}>
      <StartupProblem>
        <RealtimeProvider
          config={config}
          extras={extras}
          fallback={<p data-testid="starting">Connecting…</p>}
          onError={(error) => console.warn(`[todos] ${error.message}`)}
        >
          {children}
          {/* The connection, channels, presence and queue while you build. Gated on NODE_ENV,
              which Next.js inlines, so a production bundle holds not even the element. */}
          {process.env.NODE_ENV !== 'production' && <RealtimeDevtools />}
        </RealtimeProvider>
      </StartupProblem>
    </QueryClientProvider>
  );
}

async function fetchSupabaseToken(): Promise<string> {
  const response = await fetch('/api/supabase/token', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The token endpoint answered ${response.status}.`);
  return response.text();
}

/** A bad config or a missing adapter: say so instead of a blank page. */
class StartupProblem extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (error) return <p role="alert">Could not start the realtime client: {error.message}</p>;
    return this.props.children;
  }
}
