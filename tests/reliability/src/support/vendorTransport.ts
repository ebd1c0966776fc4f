import { ablyTransport } from '@patchbay/realtime-ably';
import type { Transport } from '@patchbay/realtime-core/transport';
import { pusherTransport } from '@patchbay/realtime-pusher';
import * as Ably from 'ably';
import { PUSHER_APP, type VendorServerInfo } from './vendorServerProcess.js';

/**
 * The Patchbay transport for the child's emulator (with Pusher's app server for auth and
 * publish), optionally through a proxy on `port`. Pusher's auth server takes the token as the user
 * id; Ably connects with the emulator's key.
 */
export function vendorTransport(
  provider: 'pusher' | 'ably',
  info: VendorServerInfo,
  port?: number,
): Transport {
  return provider === 'pusher'
    ? pusherTransport({
        key: PUSHER_APP.key,
        authEndpoint: `${info.appUrl}/pusher/auth`,
        publishEndpoint: `${info.appUrl}/pusher/publish`,
        pusherOptions: {
          ...(info.clientOptions as { cluster: string }),
          ...(port !== undefined ? { wsPort: port } : {}),
        },
      })
    : ablyTransport({
        Realtime: Ably.Realtime,
        clientOptions: {
          ...info.clientOptions,
          ...(port !== undefined ? { port } : {}),
          logLevel: 0,
        },
      });
}
