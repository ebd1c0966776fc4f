/**
 * The child process `startVendorServerProcess` runs: a vendor emulator (and, for Pusher, the
 * app's auth and publish server) in its own heap. Prints one JSON line with what clients need,
 * then runs until its stdin closes (the parent went away) or it is killed.
 *
 *   node --import tsx src/support/vendorServerChild.ts <pusher|ably>
 */
import { createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import { startPusherAppServer } from './pusherApp.js';

import { PUSHER_APP } from './vendorServerProcess.js';

const kind = process.argv[2];
if (kind === 'pusher') {
  const emulator = await createPusherEmulator({ ...PUSHER_APP, port: 0 });
  const server = new PusherServer(emulator.serverOptions());
  const app = await startPusherAppServer({
    pusher: server,
    authenticate: (token) => (token ? { userId: token } : null),
  });
  console.log(
    JSON.stringify({
      appUrl: app.url,
      clientOptions: emulator.clientOptions(),
      port: emulator.port,
    }),
  );
} else if (kind === 'ably') {
  const emulator = await createAblyEmulator({ port: 0 });
  console.log(JSON.stringify({ clientOptions: emulator.clientOptions(), port: emulator.port }));
} else {
  console.error('Usage: vendorServerChild.ts <pusher|ably>');
  process.exit(2);
}
// The parent's end of stdin closing (it exited or closed the pipe) ends this process too.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
