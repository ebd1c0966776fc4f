/** IPC messages between the bench process and a server child (`serverChild.ts`). */
import type { AblyEmulatorClientOptions } from '@patchbay/realtime-testkit/ably';
import type { PusherEmulator } from '@patchbay/realtime-testkit/pusher';

export type ServerKind = 'hub' | 'pusher' | 'ably' | 'raw-socketio' | 'raw-sse';

export type ServerRequest =
  | { type: 'start'; kind: ServerKind; heartbeatMs?: number }
  | { type: 'cpu' }
  | { type: 'memory' }
  | { type: 'stop' };

export type ServerResponseMessage =
  | { type: 'ready'; info: unknown }
  | { type: 'cpu'; micros: number }
  | { type: 'memory'; heapUsed: number; rss: number; external: number; gc: boolean }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

export interface HubInfo {
  url: string;
}

export interface PusherInfo {
  key: string;
  appUrl: string;
  clientOptions: ReturnType<PusherEmulator['clientOptions']>;
}

export interface AblyInfo {
  clientOptions: AblyEmulatorClientOptions;
}
