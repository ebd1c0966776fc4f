import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import { productionMessage, type Transport } from '@patchbay/realtime-core/transport';
import type { ClientOptions, CorePlugins } from 'ably';
import type { ModularPlugins } from 'ably/modular';
import { AblyTransport } from './internal/AblyTransport.js';
import type {
  AblyClientSource,
  AblyTransportBaseOptions,
  RealtimeConstructor,
} from './internal/options.js';

export type { RealtimeConstructor, RecoveryKeyStorage } from './internal/options.js';

/** `ClientOptions` with the plugins `BaseRealtime` needs. */
export type AblyModularClientOptions = ClientOptions<CorePlugins & ModularPlugins>;

export type AblyModularTransportOptions = AblyTransportBaseOptions &
  (
    | (AblyClientSource<AblyModularClientOptions> & {
        /** `BaseRealtime` from `ably/modular` (its plugins go in `clientOptions.plugins`). */
        Realtime: RealtimeConstructor<AblyModularClientOptions>;
        client?: never;
      })
    | { client: AblyClientSource['client'] & {}; Realtime?: never; clientOptions?: never }
  );

/**
 * `ablyTransport` for apps on ably-js's modular build: the same transport, without importing the
 * default `ably` build, so the app bundles only the plugins it gives `BaseRealtime`.
 *
 * ```ts
 * import { BaseRealtime, FetchRequest, RealtimePresence, WebSocketTransport } from 'ably/modular';
 * ablyTransport({
 *   Realtime: BaseRealtime,
 *   clientOptions: { authUrl: '/api/ably-token', plugins: { WebSocketTransport, FetchRequest, RealtimePresence } },
 * });
 * ```
 */
export function ablyTransport(options: AblyModularTransportOptions): Transport {
  if (!options.client && typeof options.Realtime !== 'function') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'ablyTransport (modular): pass Realtime (BaseRealtime from "ably/modular") or client (your Ably client).'
        : productionMessage(ErrorCodes.InvalidConfig, 'Realtime'),
    );
  }
  return new AblyTransport(options);
}
