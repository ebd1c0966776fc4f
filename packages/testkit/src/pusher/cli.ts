import { createPusherEmulator } from './createPusherEmulator.js';

const usage = `Usage: patchbay-emulator pusher [--port 6001] [--host 127.0.0.1] [--app-id app-id] [--key app-key] [--secret app-secret]

A local Pusher Channels emulator (protocol 7 + HTTP API) for tests and offline development only.
It is not Pusher, has no persistence or rate limits, and must never face the internet.`;

function parseArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      out.help = 'true';
      continue;
    }
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}".\n\n${usage}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`--${name} needs a value.\n\n${usage}`);
    out[name] = value;
  }
  return out;
}

/** Runs the Pusher emulator from the command line until SIGINT/SIGTERM. */
export async function runPusherEmulatorCli(args: string[]): Promise<void> {
  const flags = parseArgs(args);
  if (flags.help) {
    console.log(usage);
    return;
  }
  const port = Number(flags.port ?? '6001');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535; got ${flags.port}.`);
  }
  const emulator = await createPusherEmulator({
    appId: flags['app-id'] ?? 'app-id',
    key: flags.key ?? 'app-key',
    secret: flags.secret ?? 'app-secret',
    port,
    host: flags.host ?? '127.0.0.1',
  });
  console.log(`Pusher emulator listening on ${emulator.url} — for tests and offline development only.

  pusher-js:  new Pusher('${emulator.key}', { cluster: 'mt1', wsHost: '${emulator.host}', wsPort: ${emulator.port}, forceTLS: false, enabledTransports: ['ws'] })
  pusher:     new Pusher({ appId: '${emulator.appId}', key: '${emulator.key}', secret: '${emulator.secret}', host: '${emulator.host}', port: '${emulator.port}', useTLS: false })

  app id ${emulator.appId}   key ${emulator.key}   secret ${emulator.secret}   port ${emulator.port}
Press Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      void emulator.close().then(resolve);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
