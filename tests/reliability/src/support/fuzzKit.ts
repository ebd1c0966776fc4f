import { ErrorCodes } from '@patchbay/realtime-core';
import fc from 'fast-check';

/**
 * Shared pieces of the fuzz suites: the seed (fixed per run, logged, overridable with
 * FUZZ_SEED), sampling, malformed-value generators and small polling helpers.
 */

/** The seed CI samples with, so a CI run is reproducible and never red on a new sample. */
const CI_SEED = 20_261_130;

/**
 * The seed every fuzz target of this run samples with: FUZZ_SEED if set, the fixed CI seed when
 * `CI` is set, otherwise a fresh one per run (local runs explore new inputs). Re-run a failure
 * with FUZZ_SEED=<seed>.
 */
export const FUZZ_SEED: number = (() => {
  const fromEnv = Number(process.env.FUZZ_SEED);
  if (process.env.FUZZ_SEED && Number.isInteger(fromEnv)) return fromEnv;
  if (process.env.CI) return CI_SEED;
  return Math.floor(Math.random() * 2 ** 31);
})();

/** Every Patchbay error code, for "a known code" checks. */
export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** `numRuns` values from `arbitrary`, reproducible from the target's seed. */
export function samples<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, seed: number): T[] {
  return fc.sample(arbitrary, { numRuns, seed });
}

/** A short, printable rendering of a fuzz input for failure messages. */
export function show(value: unknown, max = 300): string {
  let text: string;
  if (Buffer.isBuffer(value))
    text = `<Buffer ${value.toString('hex').slice(0, 60)}… ${value.length} bytes>`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Arrays nested `depth` levels: `[[[…]]]`. Built without recursion. */
export function deepArray(depth: number): unknown {
  let value: unknown[] = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** Objects nested `depth` levels: `{"a":{"a":…}}`. */
export function deepObject(depth: number): unknown {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** Text that `JSON.parse` refuses. */
export const nonJsonText: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 60 }),
    fc.constantFrom(
      '{',
      '[1,',
      '{"event":',
      'undefined',
      "{'a':1}",
      'NaN',
      '}{',
      '\u0000',
      '{"a":1}x',
    ),
    fc.string({ minLength: 1, maxLength: 20 }).map((s) => `{${s}`),
  )
  .filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });

/** A value of the wrong type for a string field. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** A value of the wrong type for a number field. */
export const notANumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
  fc.integer({ max: -1 }),
);

/** A long string, `min`..`max` characters. */
export function hugeString(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min, max }), fc.constantFrom('x', 'é', '€', '"', '\\'))
    .map(([length, char]) => char.repeat(length));
}

/** Resolve once `check()` is true; poll every 20 ms. Rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records uncaught exceptions and unhandled rejections while a target runs. */
export function watchProcess(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    stop: () => {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}
