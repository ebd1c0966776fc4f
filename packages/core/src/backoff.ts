import { ErrorCodes } from './codes.js';
import { ConfigError, productionMessage } from './errors.js';

export interface ReconnectOptions {
  /** The first retry after a dropped link waits up to this long (ms); each failure doubles the ceiling. Default 500. */
  baseDelayMs?: number;
  /** No retry waits longer than this (ms). Default 30 000. */
  maxDelayMs?: number;
  /** Give up (state `failed`) after this many consecutive failed attempts. Default: never. */
  maxAttempts?: number;
  /** A connection attempt that takes longer than this (ms) counts as failed. Default 10 000. */
  connectTimeoutMs?: number;
}

export type ResolvedReconnectOptions = Required<ReconnectOptions>;

export const DEFAULT_RECONNECT: ResolvedReconnectOptions = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  connectTimeoutMs: 10_000,
};

export function resolveReconnectOptions(options: ReconnectOptions = {}): ResolvedReconnectOptions {
  const resolved = { ...DEFAULT_RECONNECT, ...stripUndefined(options) };
  for (const key of ['baseDelayMs', 'maxDelayMs', 'connectTimeoutMs'] as const) {
    const value = resolved[key];
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `reconnect.${key} must be a finite number of milliseconds ≥ 0; got ${String(value)}.`
          : productionMessage(ErrorCodes.InvalidConfig, `reconnect.${key}`, String(value)),
      );
    }
  }
  if (!(resolved.maxAttempts >= 1)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `reconnect.maxAttempts must be ≥ 1 (or omitted for unlimited); got ${String(resolved.maxAttempts)}.`
        : productionMessage(
            ErrorCodes.InvalidConfig,
            'reconnect.maxAttempts',
            String(resolved.maxAttempts),
          ),
    );
  }
  if (resolved.maxDelayMs < resolved.baseDelayMs) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `reconnect.maxDelayMs (${resolved.maxDelayMs}) is below reconnect.baseDelayMs (${resolved.baseDelayMs}); raise maxDelayMs or lower baseDelayMs.`
        : productionMessage(ErrorCodes.InvalidConfig, 'reconnect.maxDelayMs', resolved.maxDelayMs),
    );
  }
  return resolved;
}

/**
 * Exponential backoff with full jitter: `random(0, min(maxDelay, base · 2^failures))`, where
 * `failures` counts consecutive failed connection attempts (0 right after a dropped link, 1 after
 * the first failed attempt).
 * Full jitter spreads a crowd of clients that lost the same server across the whole window.
 */
export function computeBackoffDelay(
  failures: number,
  options: Pick<ResolvedReconnectOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, failures), 52);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
