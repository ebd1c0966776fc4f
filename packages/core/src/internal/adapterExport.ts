import { ErrorCodes } from '../codes.js';
import { productionMessage, RealtimeError } from '../errors.js';

/** What an adapter package's module exports, as loaded at runtime. */
export type AdapterModule = Record<string, unknown>;

/**
 * The factory `name` exported by an adapter's module (`sseTransport`, `ablyServerPublisher`…):
 * from `loader()` when the app passed one (`extras.loaders`), else from a runtime import that
 * bundlers leave alone, so a bundle holds only the adapters `loaders` names. A module that does
 * not load, or lacks the export, is `adapter_missing` saying what to install.
 */
export async function loadAdapterExport(
  provider: string,
  specifier: string,
  name: string,
  loader: (() => Promise<AdapterModule>) | undefined,
): Promise<(options: Record<string, unknown>) => unknown> {
  let module: AdapterModule;
  try {
    module = loader
      ? await loader()
      : ((await import(
          /* @vite-ignore */ /* webpackIgnore: true */ /* turbopackIgnore: true */ specifier
        )) as AdapterModule);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RealtimeError(
      ErrorCodes.AdapterMissing,
      process.env.NODE_ENV !== 'production'
        ? `The "${provider}" provider needs ${specifier}, which could not be loaded (${reason}). ` +
            `Install it (pnpm add ${specifier.replace(/\/server$/, '')}) or pass extras.loaders.${provider}.`
        : productionMessage(ErrorCodes.AdapterMissing, specifier, reason),
      { cause: error },
    );
  }
  const factory = module[name];
  if (typeof factory !== 'function') {
    throw new RealtimeError(
      ErrorCodes.AdapterMissing,
      process.env.NODE_ENV !== 'production'
        ? `${specifier} does not export ${name}(); check that its version matches @patchbay/realtime-core.`
        : productionMessage(ErrorCodes.AdapterMissing, specifier, name),
    );
  }
  return factory as (options: Record<string, unknown>) => unknown;
}
