import {
  type RealtimeChannel,
  RealtimeClient,
  type RealtimeClientOptions,
} from '@supabase/realtime-js';
import type { SupabaseEmulator } from '../createSupabaseEmulator.js';

/**
 * Real realtime-js clients for the emulator's own tests, every one closed by `closeAll()`.
 * Test-only: not exported from the package.
 */
export function testClients(emulator: () => SupabaseEmulator) {
  const opened: RealtimeClient[] = [];
  return {
    client(options: Partial<RealtimeClientOptions> = {}, target = emulator()): RealtimeClient {
      const base = target.clientOptions();
      const realtime = new RealtimeClient(target.url, {
        ...base,
        ...options,
        params: { ...base.params, ...options.params },
      });
      opened.push(realtime);
      return realtime;
    },
    async closeAll(): Promise<void> {
      for (const realtime of opened.splice(0)) {
        for (const channel of realtime.getChannels()) channel.teardown();
        realtime.channels = [];
        await realtime.disconnect();
      }
    },
  };
}

/** The statuses a channel's subscribe callback reports, in order, with their errors. */
export function subscribe(channel: RealtimeChannel): Array<{ status: string; error?: string }> {
  const statuses: Array<{ status: string; error?: string }> = [];
  channel.subscribe((status, error) => {
    statuses.push(error ? { status, error: error.message } : { status });
  });
  return statuses;
}
