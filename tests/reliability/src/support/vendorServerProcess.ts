import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The Pusher app the child's emulator and auth server share. */
export const PUSHER_APP = { appId: 'leaks', key: 'leaks-key', secret: 'leaks-secret' };

export interface VendorServerInfo {
  /** Emulator client options (`pusherOptions` for pusher-js, `clientOptions` for ably). */
  clientOptions: Record<string, unknown>;
  port: number;
  /** Pusher only: the app server with `/pusher/auth` and `/pusher/publish`. */
  appUrl?: string;
}

export interface VendorServerProcess {
  readonly info: VendorServerInfo;
  stop(): Promise<void>;
}

/**
 * Start a vendor emulator in a child process (see `vendorServerChild.ts`), so a test measuring
 * heap in this process counts the client alone.
 */
export async function startVendorServerProcess(
  kind: 'pusher' | 'ably',
): Promise<VendorServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'vendorServerChild.ts'), kind],
    // From this package, where `tsx` resolves.
    { cwd: resolve(here, '../..'), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const line = await Promise.race([
    once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line'),
    exited.then(([code]) => {
      throw new Error(`The ${kind} emulator process exited (${code}) before it started.`);
    }),
  ]);
  const info = JSON.parse(String(line[0])) as VendorServerInfo;
  return {
    info,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill();
      await exited;
    },
  };
}
