import { readFlags, readPort, serveUntilSignal } from '../internal/emulatorCli.js';
import { createSupabaseEmulator } from './createSupabaseEmulator.js';

const usage = `Usage: patchbay-emulator supabase [--port 54321] [--host 127.0.0.1] [--jwt-secret <secret>]

A local Supabase Realtime emulator (Phoenix channels over WebSocket: Broadcast, Presence, private
channels, replay; REST broadcast) for tests and offline development only. It is not Supabase and
never a production server: state lives in memory, there is no database (no Postgres Changes), and
it must never face the internet.`;

/** Runs the Supabase Realtime emulator from the command line until SIGINT/SIGTERM. */
export async function runSupabaseEmulatorCli(args: string[]): Promise<void> {
  const { help, values: flags } = readFlags(args, ['port', 'host', 'jwt-secret'], usage);
  if (help) {
    console.log(usage);
    return;
  }
  const emulator = await createSupabaseEmulator({
    port: readPort(flags.port, 54321),
    host: flags.host ?? '127.0.0.1',
    ...(flags['jwt-secret'] !== undefined ? { jwtSecret: flags['jwt-secret'] } : {}),
  });
  console.log(`Supabase Realtime emulator listening on ${emulator.httpUrl} — for tests and offline development only, never production.

  realtime-js:  new RealtimeClient('${emulator.url}', { params: { apikey: ANON_KEY } })
  REST:         POST ${emulator.httpUrl}/realtime/v1/api/broadcast  (Authorization: Bearer SERVICE_KEY)

  ANON_KEY     ${emulator.anonKey}
  SERVICE_KEY  ${emulator.serviceKey}
  JWT secret   ${emulator.jwtSecret}
Press Ctrl+C to stop.`);
  await serveUntilSignal(() => emulator.close());
}
