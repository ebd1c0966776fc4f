import type { RealtimeClient } from '@patchbay/realtime-core';
import { createContext, type ReactNode, useEffect } from 'react';

/** @internal */
export const RealtimeContext = createContext<RealtimeClient | null>(null);

export interface RealtimeProviderProps {
  client: RealtimeClient;
  /**
   * Call `client.connect()` after mount (never during server rendering). Default true. The
   * provider never closes the client: it may outlive the tree (StrictMode remounts, route
   * changes); call `client.close()` when your app is done with it.
   */
  autoConnect?: boolean;
  children?: ReactNode;
}

/** Makes a `RealtimeClient` available to every hook below it. */
export function RealtimeProvider({ client, autoConnect = true, children }: RealtimeProviderProps) {
  useEffect(() => {
    // connect() is idempotent, so StrictMode's second effect run does not open a second link.
    if (autoConnect) void client.connect();
  }, [client, autoConnect]);
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}
