import { computeBackoffDelay, type ResolvedReconnectOptions } from '../backoff.js';
import { ErrorCodes } from '../codes.js';
import type { ConnectionSnapshot } from '../connectionState.js';
import type { ConnectivitySource } from '../connectivity.js';
import {
  ConnectionError,
  isRealtimeError,
  productionMessage,
  type RealtimeError,
} from '../errors.js';
import { Store } from '../store.js';
import type { Timers } from '../timers.js';
import type {
  Transport,
  TransportConnection,
  TransportReconnecting,
  TransportSink,
} from '../transport/types.js';

export interface ConnectionManagerOptions {
  transport: Transport;
  reconnect: ResolvedReconnectOptions;
  timers: Timers;
  random: () => number;
  connectivity: ConnectivitySource;
  auth: (() => Promise<string> | string) | undefined;
  clientId: string | undefined;
  echo: boolean;
  /** Receives transport events for the current connection; `lost` is handled here first. */
  sink: Omit<TransportSink, 'lost' | 'reconnecting' | 'reconnected'>;
  onConnected(connection: TransportConnection): void;
  onLost(): void;
}

/**
 * Owns the connection lifecycle: one attempt at a time, backoff with full jitter between
 * failures, immediate retry on connectivity kicks, and the canonical state store. Every attempt
 * gets a generation number; events from an older attempt's link are ignored, so a late callback
 * from a dead socket can never move the state.
 *
 * A `persistent` transport's vendor client reconnects by itself: one `connect()` starts it, its
 * `reconnecting`/`reconnected` reports move the same store (attempts counted against
 * `maxAttempts`), and core only falls back to its own attempts when the transport reports `lost`.
 */
export class ConnectionManager {
  readonly store: Store<ConnectionSnapshot>;
  readonly #options: ConnectionManagerOptions;
  #generation = 0;
  #failures = 0;
  #retryTimer: unknown;
  #abort: AbortController | undefined;
  #unsubscribeConnectivity: (() => void) | undefined;

  constructor(options: ConnectionManagerOptions) {
    this.#options = options;
    this.store = new Store<ConnectionSnapshot>({
      state: 'idle',
      attempt: 0,
      since: options.timers.now(),
    });
  }

  get snapshot(): ConnectionSnapshot {
    return this.store.getSnapshot();
  }

  connect(): void {
    const { state } = this.snapshot;
    if (state === 'connecting' || state === 'connected' || state === 'reconnecting') return;
    this.#unsubscribeConnectivity ??= this.#options.connectivity.subscribe(() => this.#kick());
    this.#failures = 0;
    this.#attempt();
  }

  /** Retry now instead of waiting out the backoff (the network or the tab came back). */
  #kick(): void {
    if (this.snapshot.state !== 'reconnecting') return;
    if (this.#retryTimer === undefined) {
      // A persistent transport's vendor client is waiting out its own delay.
      if (this.#persistent) this.#options.transport.reconnectNow?.();
      return;
    }
    this.#clearRetry();
    this.#attempt();
  }

  /**
   * Drop a connected link as a network failure would (the devtools' "drop the link"): callbacks
   * of the old link are ignored from now on and core reconnects with its backoff.
   */
  drop(error: RealtimeError): void {
    if (this.snapshot.state !== 'connected') return;
    this.#generation++;
    this.#options.transport.disconnect();
    this.#handleLost(error);
  }

  get #persistent(): boolean {
    return this.#options.transport.linkMode === 'persistent';
  }

  close(): void {
    this.#generation++;
    this.#clearRetry();
    this.#abort?.abort();
    this.#abort = undefined;
    this.#unsubscribeConnectivity?.();
    this.#unsubscribeConnectivity = undefined;
    const wasLive = this.snapshot.state !== 'idle' && this.snapshot.state !== 'disconnected';
    if (wasLive) this.#options.transport.disconnect();
    if (this.snapshot.state !== 'idle') this.#setState({ state: 'disconnected', attempt: 0 });
  }

  #attempt(): void {
    const generation = ++this.#generation;
    const attempt = this.#failures + 1;
    const previous = this.snapshot;
    // The first attempt after connect() is `connecting`; any retry is `reconnecting`.
    const retrying = previous.state === 'reconnecting' || this.#failures > 0;
    this.#setState({
      state: retrying ? 'reconnecting' : 'connecting',
      attempt,
      ...(previous.error && retrying ? { error: previous.error } : {}),
    });
    const abort = new AbortController();
    this.#abort = abort;
    const { transport, timers, reconnect } = this.#options;

    let timeoutHandle: unknown;
    // A persistent transport's vendor client times out its own attempts and reports them.
    const timeout = new Promise<never>((_, reject) => {
      if (this.#persistent) return;
      timeoutHandle = timers.setTimeout(() => {
        reject(
          new ConnectionError(
            ErrorCodes.ConnectionFailed,
            process.env.NODE_ENV !== 'production'
              ? `Connecting to ${transport.provider} took longer than ${reconnect.connectTimeoutMs} ms; retrying. ` +
                  'Check the server URL and that the server is running, or raise reconnect.connectTimeoutMs.'
              : productionMessage(
                  ErrorCodes.ConnectionFailed,
                  'timeout',
                  reconnect.connectTimeoutMs,
                ),
            { retryable: true },
          ),
        );
      }, reconnect.connectTimeoutMs);
    });

    const current = () => generation === this.#generation;
    const out = this.#options.sink;
    const sink: TransportSink = {
      message: (message) => current() && out.message(message),
      presence: (channel, event) => current() && out.presence(channel, event),
      discontinuity: (channel, reason) => current() && out.discontinuity(channel, reason),
      error: (error) => current() && out.error?.(error),
      lost: (error) => {
        if (!current() || this.#retryTimer !== undefined) return;
        const { state } = this.snapshot;
        // A persistent transport's vendor client gave up for good: core's own attempts take
        // over, each with a new vendor client.
        if (state === 'connected') {
          if (this.#persistent) transport.disconnect();
          this.#handleLost(error);
        } else if (state === 'reconnecting' && this.#persistent) {
          this.#abort?.abort();
          transport.disconnect();
          this.#handleFailure(error);
        }
      },
      reconnecting: (info) => current() && this.#vendorReconnecting(info),
      reconnected: (connection) => {
        const { state } = this.snapshot;
        if (current() && state === 'reconnecting' && this.#retryTimer === undefined) {
          this.#connected(connection);
        }
      },
    };

    const run = async (): Promise<TransportConnection> => {
      const token = await this.#fetchToken();
      if (abort.signal.aborted) throw abort.signal.reason;
      return transport.connect({
        token,
        clientId: this.#options.clientId,
        echo: this.#options.echo,
        sink,
        signal: abort.signal,
        refreshToken: () => this.#fetchToken(),
        reconnect: {
          baseDelayMs: reconnect.baseDelayMs,
          maxDelayMs: reconnect.maxDelayMs,
          connectTimeoutMs: reconnect.connectTimeoutMs,
          delayMs: (failures) => computeBackoffDelay(failures, reconnect, this.#options.random),
        },
      });
    };

    Promise.race([run(), timeout]).then(
      (connection) => {
        timers.clearTimeout(timeoutHandle);
        if (generation !== this.#generation) return;
        // A persistent transport may have reported failed attempts before its first success.
        if (this.snapshot.state !== 'connecting' && this.snapshot.state !== 'reconnecting') return;
        this.#connected(connection);
      },
      (reason: unknown) => {
        timers.clearTimeout(timeoutHandle);
        if (generation !== this.#generation) return;
        abort.abort();
        transport.disconnect();
        this.#handleFailure(toConnectionError(reason, transport.provider));
      },
    );
  }

  #connected(connection: TransportConnection): void {
    this.#failures = 0;
    this.#setState({
      state: 'connected',
      attempt: 0,
      ...(connection.clientId !== undefined ? { clientId: connection.clientId } : {}),
      ...(connection.connectionId !== undefined ? { connectionId: connection.connectionId } : {}),
    });
    this.#options.onConnected(connection);
  }

  /** A persistent transport's vendor client lost the link or failed another attempt. */
  #vendorReconnecting(info: TransportReconnecting): void {
    const previous = this.snapshot;
    if (
      (previous.state !== 'connected' &&
        previous.state !== 'connecting' &&
        previous.state !== 'reconnecting') ||
      this.#retryTimer !== undefined
    ) {
      return;
    }
    if (previous.state === 'connected') {
      this.#failures = 0;
      this.#options.onLost();
    } else {
      this.#failures = Math.max(this.#failures + 1, (info.attempt ?? 0) - 1);
    }
    if (this.#failures >= this.#options.reconnect.maxAttempts) {
      this.#abort?.abort();
      this.#options.transport.disconnect();
      this.#fail(exhausted(this.#failures, info.error));
      return;
    }
    this.#setState({
      state: 'reconnecting',
      attempt: this.#failures + 1,
      error: info.error,
      ...(info.nextAttemptAt !== undefined ? { nextAttemptAt: info.nextAttemptAt } : {}),
    });
  }

  async #fetchToken(): Promise<string | undefined> {
    const { auth } = this.#options;
    if (!auth) return undefined;
    try {
      return await auth();
    } catch (error) {
      if (isRealtimeError(error)) throw error;
      throw new ConnectionError(
        ErrorCodes.ConnectionFailed,
        process.env.NODE_ENV !== 'production'
          ? `The auth() callback threw while fetching a token: ${errorMessage(error)}. Retrying; throw an AuthError from auth() to stop retrying.`
          : productionMessage(ErrorCodes.ConnectionFailed, 'auth', errorMessage(error)),
        { cause: error, retryable: true },
      );
    }
  }

  #handleLost(error: RealtimeError): void {
    this.#failures = 0;
    this.#options.onLost();
    if (this.#persistent && !error.retryable) {
      this.#fail(error);
      return;
    }
    this.#scheduleRetry(error);
  }

  #handleFailure(error: RealtimeError): void {
    if (!error.retryable) {
      this.#fail(error);
      return;
    }
    this.#failures++;
    if (this.#failures >= this.#options.reconnect.maxAttempts) {
      this.#fail(exhausted(this.#failures, error));
      return;
    }
    this.#scheduleRetry(error);
  }

  #scheduleRetry(error: RealtimeError): void {
    const { timers, reconnect, random } = this.#options;
    const delay = computeBackoffDelay(this.#failures, reconnect, random);
    this.#clearRetry();
    this.#setState({
      state: 'reconnecting',
      attempt: this.#failures + 1,
      error,
      nextAttemptAt: timers.now() + delay,
    });
    const generation = this.#generation;
    this.#retryTimer = timers.setTimeout(() => {
      this.#retryTimer = undefined;
      if (generation === this.#generation) this.#attempt();
    }, delay);
  }

  #fail(error: RealtimeError): void {
    this.#generation++;
    this.#clearRetry();
    this.#unsubscribeConnectivity?.();
    this.#unsubscribeConnectivity = undefined;
    this.#setState({ state: 'failed', attempt: 0, error });
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) this.#options.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #setState(next: Omit<ConnectionSnapshot, 'since'>): void {
    const snapshot: ConnectionSnapshot = { ...next, since: this.#options.timers.now() };
    this.store.set(snapshot);
  }
}

function exhausted(failures: number, error: RealtimeError): RealtimeError {
  return new ConnectionError(
    ErrorCodes.ReconnectExhausted,
    process.env.NODE_ENV !== 'production'
      ? `Gave up after ${failures} failed connection attempts (reconnect.maxAttempts). ` +
          `Last error: ${error.message} Call client.connect() to try again.`
      : productionMessage(ErrorCodes.ReconnectExhausted, failures, error.message),
    { cause: error },
  );
}

function toConnectionError(reason: unknown, provider: string): RealtimeError {
  // Covers `AuthError` and every other subclass, from this realm or another.
  if (isRealtimeError(reason)) return reason;
  return new ConnectionError(
    ErrorCodes.ConnectionFailed,
    process.env.NODE_ENV !== 'production'
      ? `Could not connect to ${provider}: ${errorMessage(reason)}. Retrying with backoff.`
      : productionMessage(ErrorCodes.ConnectionFailed, provider, errorMessage(reason)),
    { cause: reason, retryable: true },
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
