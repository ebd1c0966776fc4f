/** Runs the Pusher emulator from the command line until SIGINT/SIGTERM. */
export async function runPusherEmulatorCli(_args: string[]): Promise<void> {
  console.error('The Pusher emulator is not built yet.');
  process.exit(2);
}
