import type { RealtimeClient } from '@patchbay/realtime-core';
import { productionMessage } from '@patchbay/realtime-core/transport';
import { useContext } from 'react';
import { RealtimeContext } from './RealtimeProvider.js';

/** The client from the nearest `<RealtimeProvider>`. Throws a clear error outside one. */
export function useRealtime(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) {
    throw new Error(
      process.env.NODE_ENV !== 'production'
        ? 'No RealtimeClient found: wrap your tree in <RealtimeProvider client={…}> (or config={…}) from @patchbay/realtime-react.'
        : productionMessage('missing_provider'),
    );
  }
  return client;
}
