import type { RealtimeClient, RealtimeError } from '@patchbay/realtime-core';
import type { RealtimeConfig, RealtimeConfigExtras } from '@patchbay/realtime-core/config';
import { createContext, type ReactNode, useEffect, useInsertionEffect, useRef } from 'react';
import { useConfigClient } from './internal/useConfigClient.js';

/** @internal */
export const RealtimeContext = createContext<RealtimeClient | null>(null);

interface ProviderCommonProps {
  /** Call `client.connect()` after mount (never during server rendering). Default true. */
  autoConnect?: boolean;
  /**
   * Called with every error the client reports on `client.on('error')`: an incoming message or
   * presence update that failed its schema, a channel that could not attach, a throwing handler, a
   * queued message dropped after a reload. May change every render without resubscribing.
   */
  onError?: (error: RealtimeError) => void;
  children?: ReactNode;
}

/** A client the app made (`createRealtime`), shared with the tree. */
export interface RealtimeClientProviderProps extends ProviderCommonProps {
  /**
   * The client. The provider never closes it: it may outlive the tree (StrictMode remounts, route
   * changes); call `client.close()` when your app is done with it.
   */
  client: RealtimeClient;
  config?: never;
  extras?: never;
  fallback?: never;
}

/** A client the provider makes from a config, and owns. */
export interface RealtimeConfigProviderProps extends ProviderCommonProps {
  client?: never;
  /**
   * Build the client with `createRealtimeFromConfig(config, extras)` (which loads the chosen
   * adapter, so it takes a moment), render `fallback` until it is ready, and close it on unmount.
   * Compared by content: a new object with the same fields keeps the client; a changed config
   * closes it and makes a new one. A bad config or a missing adapter is thrown during render, to
   * the nearest error boundary. Needs `zod` (the config is validated with it).
   */
  config: RealtimeConfig;
  /** Code-only options for `createRealtimeFromConfig`: `auth`, `loaders`, `schemas`, … Read once per client. */
  extras?: RealtimeConfigExtras;
  /** Rendered while the client is being created (and on the server). Default: nothing. */
  fallback?: ReactNode;
}

export type RealtimeProviderProps = RealtimeClientProviderProps | RealtimeConfigProviderProps;

/**
 * Makes a `RealtimeClient` available to every hook below it: the `client` you pass, or one made
 * from `config` (the one-line provider switch) that the provider owns and closes.
 */
export function RealtimeProvider(props: RealtimeProviderProps) {
  const { autoConnect = true, onError, children } = props;
  const fromConfig = useConfigClient(props.config, props.extras);
  const client = props.client ?? fromConfig;

  useEffect(() => {
    // connect() is idempotent, so StrictMode's second effect run does not open a second link.
    if (client && autoConnect) void client.connect();
  }, [client, autoConnect]);

  const latestOnError = useRef(onError);
  useInsertionEffect(() => {
    latestOnError.current = onError;
  });
  // Listen only when asked: with no listener, core surfaces a throwing handler as an uncaught error.
  const listening = onError !== undefined;
  useEffect(() => {
    if (!client || !listening) return;
    return client.on('error', (error) => latestOnError.current?.(error));
  }, [client, listening]);

  if (!client) return <>{props.fallback}</>;
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}
