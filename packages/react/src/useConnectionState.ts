import type { ConnectionSnapshot, QueueStatus, RealtimeClient } from '@patchbay/realtime-core';
import { useStore } from './internal/useStore.js';
import { useRealtime } from './useRealtime.js';

const IDLE: ConnectionSnapshot = Object.freeze({ state: 'idle', attempt: 0, since: 0 });

/**
 * The connection state (`idle | connecting | connected | reconnecting | disconnected | failed`)
 * with the attempt number and last error. On the server, and during hydration, it is `idle`.
 */
export function useConnectionState(): ConnectionSnapshot {
  const client = useRealtime();
  return useStore(client.connection, () => IDLE);
}

const serverQueue = new WeakMap<RealtimeClient, QueueStatus>();

/** The offline queue: how many publishes wait for a connection or an ack. */
export function useQueueStatus(): QueueStatus {
  const client = useRealtime();
  return useStore(client.queue, () => {
    let status = serverQueue.get(client);
    if (!status) {
      status = Object.freeze({ size: 0, sending: 0, maxSize: client.queue.getSnapshot().maxSize });
      serverQueue.set(client, status);
    }
    return status;
  });
}
