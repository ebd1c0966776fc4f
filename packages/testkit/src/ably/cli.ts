import { readFlags, readPort, serveUntilSignal } from '../internal/emulatorCli.js';
import { createAblyEmulator } from './createAblyEmulator.js';

const usage = `Usage: patchbay-emulator ably [--port 8081] [--host 127.0.0.1] [--key appId.keyId:secret]

A local Ably realtime emulator (JSON protocol over WebSocket + REST publish/history/tokens)
for tests and offline development only. It is not Ably: state lives in memory, there is no
msgpack, encryption, push or persistence, and it must never face the internet.`;

/** Runs the Ably emulator from the command line until SIGINT/SIGTERM. */
export async function runAblyEmulatorCli(args: string[]): Promise<void> {
  const { help, values: flags } = readFlags(args, ['port', 'host', 'key'], usage);
  if (help) {
    console.log(usage);
    return;
  }
  const port = readPort(flags.port, 8081);
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
  await serveUntilSignal(() => emulator.close());
}
