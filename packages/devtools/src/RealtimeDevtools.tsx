import type { RealtimeClient } from '@patchbay/realtime-core';
import { inspect } from '@patchbay/realtime-core/inspect';
import { useRealtime } from '@patchbay/realtime-react';
import { type ReactElement, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Capabilities, ChannelView, ErrorList, Timeline } from './internal/sections.js';
import { styles } from './internal/styles.js';

export interface RealtimeDevtoolsProps {
  /** Open the panel on first render (otherwise a small button opens it). Default false. */
  initialIsOpen?: boolean;
  /** Which corner the button and panel sit in. Default `bottom-right`. */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';
  /** Inspect this client instead of the one from `<RealtimeProvider>`. */
  client?: RealtimeClient;
}

/**
 * A floating panel for the client in context: connection timeline, live channels (holds,
 * attach state, last seq, presence, typing, latest messages), the publish queue and errors, with
 * buttons to drop the link, go offline and online, and clear the message view. It reads through
 * `@patchbay/realtime-core/inspect`, which never subscribes to a channel or holds one: the app
 * behaves the same with the panel open, except for what its buttons do.
 */
export function RealtimeDevtools({
  initialIsOpen = false,
  position = 'bottom-right',
  client: given,
}: RealtimeDevtoolsProps): ReactElement | null {
  const [open, setOpen] = useState(initialIsOpen);
  const corner = {
    [position.startsWith('top') ? 'top' : 'bottom']: 12,
    [position.endsWith('left') ? 'left' : 'right']: 12,
  };
  if (!open) {
    return (
      <button
        type="button"
        style={{ ...styles.toggle, ...corner }}
        data-testid="pb-devtools-open"
        onClick={() => setOpen(true)}
      >
        Patchbay
      </button>
    );
  }
  const close = () => setOpen(false);
  return given ? (
    <Panel corner={corner} onClose={close} client={given} />
  ) : (
    <PanelInContext corner={corner} onClose={close} />
  );
}

type PanelProps = { corner: Record<string, number>; onClose(): void };

function PanelInContext(props: PanelProps) {
  return <Panel {...props} client={useRealtime()} />;
}

function Panel({ corner, onClose, client }: PanelProps & { client: RealtimeClient }) {
  const inspector = useMemo(() => inspect(client), [client]);
  const view = useSyncExternalStore(inspector.subscribe, inspector.getSnapshot);
  const now = useNow();
  const { connection, queue } = view;
  const online = connection.state !== 'disconnected' && connection.state !== 'idle';
  const seconds = (ms: number) => `${Math.max(0, ms / 1000).toFixed(1)} s`;

  return (
    <section
      style={{ ...styles.panel, ...corner }}
      data-testid="pb-devtools"
      aria-label="Patchbay devtools"
    >
      <header style={styles.header}>
        <b>Patchbay</b>
        <span data-testid="pb-devtools-provider">{view.provider}</span>
        <span data-testid="pb-devtools-state" style={styles.state(connection.state)}>
          {connection.state}
        </span>
        {connection.attempt > 0 && <span>attempt {connection.attempt}</span>}
        {connection.nextAttemptAt !== undefined && (
          <span>next in {seconds(connection.nextAttemptAt - now)}</span>
        )}
        <button type="button" style={styles.close} aria-label="Close devtools" onClick={onClose}>
          ×
        </button>
      </header>
      <div style={styles.buttons}>
        <button
          type="button"
          style={styles.button}
          disabled={connection.state !== 'connected'}
          onClick={() => inspector.dropLink()}
        >
          Drop the link
        </button>
        <button
          type="button"
          style={styles.button}
          onClick={() => (online ? client.close() : void client.connect())}
        >
          {online ? 'Go offline' : 'Go online'}
        </button>
        <button type="button" style={styles.button} onClick={() => inspector.clear()}>
          Clear messages
        </button>
      </div>
      <div style={styles.body}>
        {connection.error && <p style={styles.error}>{connection.error.message}</p>}
        <Timeline timeline={view.timeline} />
        <p data-testid="pb-devtools-queue" style={styles.line}>
          Queue: {queue.size - queue.sending} pending · {queue.sending} in flight
          {queue.busySince !== undefined && ` · oldest ≤ ${seconds(now - queue.busySince)}`} (max{' '}
          {queue.maxSize})
        </p>
        <h3 style={styles.heading}>Channels ({view.channels.length})</h3>
        {view.channels.map((channel) => (
          <ChannelView key={channel.name} channel={channel} />
        ))}
        <ErrorList errors={view.errors} />
        <Capabilities capabilities={view.capabilities} />
      </div>
    </section>
  );
}

/** The time, re-read a few times a second while the panel is open, for ages and countdowns. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  return now;
}
