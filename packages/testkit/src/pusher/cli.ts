import { readFlags, readPort, serveUntilSignal } from '../internal/emulatorCli.js';
import { createPusherEmulator } from './createPusherEmulator.js';

const usage = `Usage: patchbay-emulator pusher [--port 6001] [--host 127.0.0.1] [--app-id app-id] [--key app-key] [--secret app-secret] [--client-events-per-second 10|off]

A local Pusher Channels emulator (protocol 7 + HTTP API) for tests and offline development only.
It is not Pusher, has no persistence, and must never face the internet. Like Pusher, it limits
client events to 10 per second per connection (error 4301 beyond that); change or turn off that
limit with --client-events-per-second.`;

/** Runs the Pusher emulator from the command line until SIGINT/SIGTERM. */
export async function runPusherEmulatorCli(args: string[]): Promise<void> {
  const { help, values: flags } = readFlags(
    args,
    ['port', 'host', 'app-id', 'key', 'secret', 'client-events-per-second'],
    usage,
  );
  if (help) {
    console.log(usage);
    return;
  }
  const port = readPort(flags.port, 6001);
  const rateFlag = flags['client-events-per-second'];
  const clientEventsPerSecond = rateFlag === 'off' ? false : Number(rateFlag ?? 10);
  if (clientEventsPerSecond !== false && !(clientEventsPerSecond > 0)) {
    throw new Error(
      `--client-events-per-second must be a positive number or "off"; got ${rateFlag}.\n\n${usage}`,
    );
  }
  const emulator = await createPusherEmulator({
    appId: flags['app-id'] ?? 'app-id',
    key: flags.key ?? 'app-key',
    secret: flags.secret ?? 'app-secret',
    port,
    host: flags.host ?? '127.0.0.1',
    clientEventsPerSecond,
  });
  console.log(`Pusher emulator listening on ${emulator.url} — for tests and offline development only.

  pusher-js:  new Pusher('${emulator.key}', { cluster: 'mt1', wsHost: '${emulator.host}', wsPort: ${emulator.port}, forceTLS: false, enabledTransports: ['ws'] })
  pusher:     new Pusher({ appId: '${emulator.appId}', key: '${emulator.key}', secret: '${emulator.secret}', host: '${emulator.host}', port: '${emulator.port}', useTLS: false })

  app id ${emulator.appId}   key ${emulator.key}   secret ${emulator.secret}   port ${emulator.port}
Press Ctrl+C to stop.`);
  await serveUntilSignal(() => emulator.close());
}
