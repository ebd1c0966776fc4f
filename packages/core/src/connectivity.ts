/**
 * Signals that a retry is worth trying now rather than after the backoff delay: the device came
 * back online, or the tab became visible again. Inject your own (React Native's NetInfo, tests).
 */
export interface ConnectivitySource {
  /** Call `kick` whenever connectivity is likely restored. Returns a cleanup function. */
  subscribe(kick: () => void): () => void;
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * Browser signals: `online` on window and `visibilitychange` to visible on document. Outside a
 * browser (Node, SSR) it does nothing.
 */
export const browserConnectivity: ConnectivitySource = {
  subscribe(kick) {
    const target = globalThis as unknown as Partial<EventTargetLike>;
    const doc = (globalThis as { document?: EventTargetLike & { visibilityState?: string } })
      .document;
    const onOnline = () => kick();
    const onVisibility = () => {
      if (doc?.visibilityState === 'visible') kick();
    };
    if (typeof target.addEventListener === 'function') target.addEventListener('online', onOnline);
    doc?.addEventListener('visibilitychange', onVisibility);
    return () => {
      if (typeof target.removeEventListener === 'function') {
        target.removeEventListener('online', onOnline);
      }
      doc?.removeEventListener('visibilitychange', onVisibility);
    };
  },
};

/** A source that never kicks, for servers and tests that drive retries by time alone. */
export const noConnectivitySignals: ConnectivitySource = { subscribe: () => () => {} };
