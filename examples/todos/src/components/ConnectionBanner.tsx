'use client';

import { useConnectionState, useRealtime } from '@patchbay/realtime-react';
import { useIsMutating } from '@tanstack/react-query';

/** Connection state and unsaved edits, always visible. */
export function ConnectionBanner() {
  const client = useRealtime();
  const connection = useConnectionState();
  const saving = useIsMutating();
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
      <span data-testid="saving">
        {saving > 0 ? ` · ${saving} ${saving === 1 ? 'edit' : 'edits'} to save` : ' · all saved'}
      </span>
    </header>
  );
}
