/**
 * The clock Patchbay schedules with. Inject one (e.g. vitest's fake timers, or a test clock) to
 * drive backoff, publish timeouts and typing expiry without waiting.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** The host's timers, looked up at call time so fake timers installed later still apply. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};
