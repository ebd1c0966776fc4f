import { createAblyEmulator } from './createAblyEmulator.js';

const usage = `Usage: patchbay-emulator ably [--port 8081] [--host 127.0.0.1] [--key appId.keyId:secret]

A local Ably realtime emulator (JSON protocol over WebSocket + REST publish/history/tokens)
for tests and offline development only. It is not Ably: state lives in memory, there is no
msgpack, encryption, push or persistence, and it must never face the internet.`;

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

/** Runs the Ably emulator from the command line until SIGINT/SIGTERM. */
export async function runAblyEmulatorCli(args: string[]): Promise<void> {
  const flags = parseArgs(args);
  if (flags.help) {
    console.log(usage);
    return;
  }
  const port = Number(flags.port ?? '8081');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535; got ${flags.port}.`);
  }
  const emulator = await createAblyEmulator({
    port,
    host: flags.host ?? '127.0.0.1',
    ...(flags.key !== undefined ? { apiKey: flags.key } : {}),
  });
  const options = JSON.stringify(emulator.clientOptions());
  console.log(`Ably emulator listening on ${emulator.url} — for tests and offline development only.

  ably:      new Ably.Realtime(${options})
             new Ably.Rest(${options})
  patchbay:  ablyTransport({ clientOptions: ${options} })

  key ${emulator.apiKey}   port ${emulator.port}
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
