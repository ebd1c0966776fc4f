/** What this module reads of a pusher-js client: its timeline and its resolved config. */
interface PusherInternals {
  timeline?: {
    log?: (level: unknown, event: unknown) => void;
    events?: unknown[];
  };
  config?: PusherTransportConfig;
}

export interface PusherTransportConfig {
  useTLS?: boolean;
  wsHost?: string;
  wsPort?: number;
  wssPort?: number;
  enabledTransports?: string[];
  disabledTransports?: string[];
}

export interface TransportFailure {
  /** Transport connections that failed before they opened. */
  failed: number;
  /** The close code of the last one, when its socket reported one. */
  closeCode: number | undefined;
  /** Where pusher-js dials its WebSocket, e.g. `ws://127.0.0.1:6001`. */
  url: string | undefined;
}

/**
 * pusher-js says nothing public when a socket cannot even open (connection refused, no route,
 * DNS or TLS failure): it keeps `connecting` and only dials that transport again after a 15 s
 * slot, until `unavailableTimeout`. Its timeline does record every transport connection
 * (`{cid, state}` and `{cid, error}` events), so this watches it and calls `onCannotConnect` once
 * every transport pusher-js would try has failed before opening — at the first failure when only
 * `ws` is enabled, later when HTTP fallbacks are still to come. A build without a timeline is not
 * watched (the attempt then ends on `unavailable`, as before). Returns a function that stops it.
 */
export function watchTransportFailures(
  pusher: unknown,
  onCannotConnect: (failure: TransportFailure) => void,
): () => void {
  const { timeline, config } = (pusher ?? {}) as PusherInternals;
  const log = timeline?.log;
  if (!timeline || typeof log !== 'function') return () => {};
  let budget = transportsTried(config ?? {});
  // A browser that connected recently first retries the cached transport, once, on its own.
  if (timeline.events?.some((event) => (event as { cached?: unknown })?.cached === true)) budget++;
  const opened = new Set<unknown>();
  const failed = new Set<unknown>();
  let closeCode: number | undefined;
  let active = true;
  const watch = (level: unknown, event: unknown) => {
    log.call(timeline, level, event);
    if (!active || budget === 0) return;
    const { cid, state, error, params } = (event ?? {}) as {
      cid?: unknown;
      state?: unknown;
      error?: unknown;
      params?: { code?: unknown };
    };
    if (cid === undefined) return;
    if (state === 'open') opened.add(cid);
    if (opened.has(cid) || (state !== 'closed' && error === undefined)) return;
    if (typeof params?.code === 'number') closeCode = params.code;
    failed.add(cid);
    if (failed.size < budget) return;
    active = false;
    // Not from inside pusher-js's own socket handler: the callback disconnects the client.
    queueMicrotask(() =>
      onCannotConnect({ failed: failed.size, closeCode, url: webSocketUrl(config) }),
    );
  };
  timeline.log = watch;
  return () => {
    active = false;
    if (timeline.log === watch) timeline.log = log;
  };
}

/**
 * How many transport connections pusher-js opens before it dials any of them again (each
 * transport has a 15 s slot): `ws`, then `wss` 2 s later (plain-text apps only), then HTTP
 * streaming and polling (xhr, or xdr in old browsers; sockjs where neither exists). This
 * mirrors pusher-js 8's default strategy; counting too many only means waiting for
 * `unavailable`, as before, while counting too few would cut its fallbacks short.
 */
export function transportsTried(config: PusherTransportConfig): number {
  const { enabledTransports: enabled, disabledTransports: disabled } = config;
  const on = (name: string) =>
    (!enabled || enabled.includes(name)) && !(disabled ?? []).includes(name);
  let count = 0;
  // Without `ws`, pusher-js goes straight to HTTP: `wss` is only tried beside `ws`.
  if (on('ws')) count += !config.useTLS && on('wss') ? 2 : 1;
  const http =
    (on('xhr_streaming') || on('xdr_streaming') ? 1 : 0) +
    (on('xhr_polling') || on('xdr_polling') ? 1 : 0);
  return count + (http > 0 ? http : on('sockjs') ? 1 : 0);
}

function webSocketUrl(config: PusherTransportConfig | undefined): string | undefined {
  if (!config?.wsHost) return undefined;
  return config.useTLS
    ? `wss://${config.wsHost}:${config.wssPort ?? 443}`
    : `ws://${config.wsHost}:${config.wsPort ?? 80}`;
}
