import { runAblyEmulatorCli } from './ably/cli.js';
import { runPusherEmulatorCli } from './pusher/cli.js';
import { runSupabaseEmulatorCli } from './supabase/cli.js';

const usage = `Usage: patchbay-emulator <pusher|ably|supabase> [options]

Local stand-ins for managed providers, for tests and offline development only.
Run "patchbay-emulator <pusher|ably|supabase> --help" for options.`;

const [command, ...rest] = process.argv.slice(2);
const run =
  command === 'pusher'
    ? runPusherEmulatorCli
    : command === 'ably'
      ? runAblyEmulatorCli
      : command === 'supabase'
        ? runSupabaseEmulatorCli
        : undefined;
if (!run) {
  console.error(command ? `Unknown emulator "${command}".\n\n${usage}` : usage);
  process.exit(2);
}
run(rest).then(
  () => process.exit(0),
  (error: unknown) => {
    // Bad flags and bad values are the user's to fix: say what, without a stack trace.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
