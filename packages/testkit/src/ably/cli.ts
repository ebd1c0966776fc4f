/** Runs the Ably emulator from the command line until SIGINT/SIGTERM. */
export async function runAblyEmulatorCli(_args: string[]): Promise<void> {
  console.error('The Ably emulator is not built yet.');
  process.exit(2);
}
