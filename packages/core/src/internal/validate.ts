import type { ValidationIssue } from '../errors.js';
import type { StandardSchemaV1 } from '../standardSchema.js';

export type ValidationOutcome =
  | { ok: true; value: unknown }
  | { ok: false; issues: ValidationIssue[] };

/** Run a Standard Schema; sync when the schema is, so incoming messages keep their order cheaply. */
export function runSchema(
  schema: StandardSchemaV1,
  value: unknown,
): ValidationOutcome | Promise<ValidationOutcome> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `the schema threw: ${describe(error)}` }] };
  }
  if (result instanceof Promise) {
    return result.then(toOutcome, (error: unknown) => ({
      ok: false as const,
      issues: [{ path: '', message: `the schema threw: ${describe(error)}` }],
    }));
  }
  return toOutcome(result);
}

function toOutcome(result: StandardSchemaV1.Result<unknown>): ValidationOutcome {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({
      message: issue.message,
      path: formatPath(issue.path),
    })),
  };
}

/** `['items', 0, 'title']` → `items[0].title`. */
export function formatPath(
  path: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment> | undefined,
): string {
  if (!path || path.length === 0) return '';
  let out = '';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const name = String(typeof key === 'symbol' ? key.description : key);
      out += /^[A-Za-z_$][\w$]*$/.test(name)
        ? out
          ? `.${name}`
          : name
        : `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
