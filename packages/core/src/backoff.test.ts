import { describe, expect, it } from 'vitest';
import { computeBackoffDelay, DEFAULT_RECONNECT, resolveReconnectOptions } from './backoff.js';
import { ErrorCodes } from './codes.js';
import { ConfigError } from './errors.js';

const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };
const justUnderOne = 1 - Number.EPSILON;

describe('computeBackoffDelay (full jitter)', () => {
  it('returns 0 when the random draw is 0, whatever the failure count', () => {
    for (const failures of [0, 1, 5, 20]) {
      expect(computeBackoffDelay(failures, policy, () => 0)).toBe(0);
    }
  });

  it('stays just under the ceiling base·2^failures when the random draw is almost 1', () => {
    expect(computeBackoffDelay(0, policy, () => justUnderOne)).toBe(499);
    expect(computeBackoffDelay(1, policy, () => justUnderOne)).toBe(999);
    expect(computeBackoffDelay(3, policy, () => justUnderOne)).toBe(3_999);
  });

  it('doubles the ceiling with every consecutive failure', () => {
    const half = () => 0.5;
    const delays = [0, 1, 2, 3, 4].map((failures) => computeBackoffDelay(failures, policy, half));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000]);
  });

  it('caps the ceiling at maxDelayMs, even after very many failures', () => {
    expect(computeBackoffDelay(6, policy, () => justUnderOne)).toBe(29_999);
    expect(computeBackoffDelay(1_000, policy, () => justUnderOne)).toBe(29_999);
    expect(computeBackoffDelay(1_000, policy, () => 0.5)).toBe(15_000);
  });

  it('treats a negative failure count as the first retry', () => {
    expect(computeBackoffDelay(-3, policy, () => 0.5)).toBe(250);
  });

  it('spreads draws across the whole window [0, ceiling)', () => {
    const draws = [0, 0.25, 0.5, 0.75, justUnderOne];
    const delays = draws.map((r) => computeBackoffDelay(2, policy, () => r));
    expect(delays).toEqual([0, 500, 1_000, 1_500, 1_999]);
    for (let i = 0; i < 200; i++) {
      const delay = computeBackoffDelay(2, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(2_000);
    }
  });
});

describe('resolveReconnectOptions', () => {
  it('fills in the documented defaults: base 500 ms, max 30 s, unlimited attempts', () => {
    expect(resolveReconnectOptions()).toEqual({
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxAttempts: Number.POSITIVE_INFINITY,
      connectTimeoutMs: 10_000,
    });
    expect(resolveReconnectOptions({})).toEqual(DEFAULT_RECONNECT);
  });

  it('keeps given values and ignores explicit undefined', () => {
    const resolved = resolveReconnectOptions({ baseDelayMs: 100, maxAttempts: 3 });
    expect(resolved).toEqual({ ...DEFAULT_RECONNECT, baseDelayMs: 100, maxAttempts: 3 });
    const withUndefined = { baseDelayMs: undefined } as unknown as { baseDelayMs: number };
    expect(resolveReconnectOptions(withUndefined).baseDelayMs).toBe(500);
  });

  it.each([
    ['baseDelayMs', { baseDelayMs: -1 }],
    ['baseDelayMs', { baseDelayMs: Number.NaN }],
    ['maxDelayMs', { maxDelayMs: Number.POSITIVE_INFINITY }],
    ['connectTimeoutMs', { connectTimeoutMs: -5 }],
    ['baseDelayMs', { baseDelayMs: '100' as unknown as number }],
    ['maxAttempts', { maxAttempts: 0 }],
    ['maxAttempts', { maxAttempts: Number.NaN }],
  ])('rejects a bad reconnect.%s with a ConfigError naming the field', (field, options) => {
    let caught: unknown;
    try {
      resolveReconnectOptions(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(ErrorCodes.InvalidConfig);
    expect((caught as ConfigError).message).toContain(`reconnect.${field}`);
  });

  it('rejects maxDelayMs below baseDelayMs, naming both fields', () => {
    expect(() => resolveReconnectOptions({ baseDelayMs: 2_000, maxDelayMs: 1_000 })).toThrow(
      /reconnect\.maxDelayMs \(1000\) is below reconnect\.baseDelayMs \(2000\)/,
    );
  });
});
