import { ConfigError, ErrorCodes } from '@patchbay/realtime-core';
import { productionMessage, type Transport } from '@patchbay/realtime-core/transport';
import { Realtime } from 'ably';
import { AblyTransport } from './internal/AblyTransport.js';
import type {
  AblyClientSource,
  AblyTransportBaseOptions,
  RealtimeConstructor,
} from './internal/options.js';

export type { RealtimeConstructor, RecoveryKeyStorage } from './internal/options.js';

export interface AblyTransportOptions extends AblyTransportBaseOptions, AblyClientSource {
  /** Build the client with another constructor. Default: `Realtime` from `ably`. */
  Realtime?: RealtimeConstructor;
  /** @deprecated Pass `Realtime` (or `client`). The `ably` module or an object with its `Realtime`. */
  ably?: { Realtime: RealtimeConstructor };
}

/**
 * The Ably transport. One Ably client per Patchbay client for its whole life: ably-js reconnects,
 * resumes the connection and re-attaches channels by itself, and Patchbay reports that through
 * its connection store (`reconnecting` → `connected`). Publishes resolve on Ably's ACK and reject
 * on NACK; presence is Ably's (with native update, and its 15 s grace for dropped links); a
 * channel Ably could not resume replays what it missed from history, or reports a
 * discontinuity when history no longer reaches.
 *
 * Apps on `ably/modular` import `ablyTransport` from `@patchbay/realtime-ably/modular` instead,
 * so the default ably-js build is not bundled.
 *
 * ```ts
 * createRealtime({ transport: ablyTransport({ clientOptions: { authUrl: '/api/ably-token' } }) });
 * ```
 */
export function ablyTransport(options: AblyTransportOptions = {}): Transport {
  const Constructor = options.Realtime ?? options.ably?.Realtime ?? Realtime;
  if (typeof Constructor !== 'function') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'ablyTransport: Realtime must be a constructor (Realtime from "ably").'
        : productionMessage(ErrorCodes.InvalidConfig, 'Realtime'),
    );
  }
  return new AblyTransport({ ...options, Realtime: Constructor });
}
