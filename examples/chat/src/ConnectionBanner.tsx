import { useConnectionState, useQueueStatus, useRealtime } from '@patchbay/realtime-react';

/** Connection state, retry attempt and unsent messages, always visible. */
export function ConnectionBanner() {
  const client = useRealtime();
  const connection = useConnectionState();
  const queue = useQueueStatus();
  return (
    <header
      className={`banner banner-${connection.state}`}
      data-testid="banner"
      data-state={connection.state}
    >
      <strong>{client.provider}</strong> ·{' '}
      <span data-testid="connection-state">{connection.state}</span>
      {connection.state === 'reconnecting' && <span> (attempt {connection.attempt})</span>}
      {connection.state === 'failed' && <span role="alert"> — {connection.error?.message}</span>}
      <span data-testid="pending"> · {queue.size} pending</span>
    </header>
  );
}
