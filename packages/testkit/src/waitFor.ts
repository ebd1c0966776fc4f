import type { ConnectionState, RealtimeClient } from '@patchbay/realtime-core';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Poll until `check` returns a truthy value (returned) or throw after `timeoutMs` with `what`
 * in the message. Real sockets have no fixed latency, so integration tests wait for outcomes.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 5 }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** Wait until the client's connection store reaches `state`. */
export function waitForState(
  client: RealtimeClient,
  state: ConnectionState,
  options?: WaitOptions,
): Promise<boolean> {
  return waitFor(
    `connection state "${state}" (now "${client.connection.getSnapshot().state}")`,
    () => client.connection.getSnapshot().state === state,
    options,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
