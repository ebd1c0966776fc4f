import { parseArgs } from 'node:util';

/** Parse `--name value` flags (and `--help`) with Node's own parser; errors carry the usage. */
export function readFlags(
  args: string[],
  names: readonly string[],
  usage: string,
): { help: boolean; values: Record<string, string | undefined> } {
  try {
    const { values } = parseArgs({
      args,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      },
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    return { help: help === true, values: rest as Record<string, string | undefined> };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${usage}`);
  }
}

/** `--port`, defaulting to `fallback`, as an integer from 0 to 65535. */
export function readPort(value: string | undefined, fallback: number): number {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535; got ${value}.`);
  }
  return port;
}

/** Keep serving until SIGINT or SIGTERM, then close and resolve. */
export function serveUntilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      void close().then(resolve);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
