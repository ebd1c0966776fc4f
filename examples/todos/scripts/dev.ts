import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { selectedProvider } from '../realtime.config';
import { startBackend } from './backends';

/**
 * `pnpm dev`: start what the chosen provider needs (nothing for SSE, the hub for Socket.IO, the
 * emulators for Pusher and Ably) and `next dev` pointed at it. One Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const provider = selectedProvider();
  const backend = await startBackend(provider);
  const port = process.env.PORT ?? '3000';
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  const child = spawn(process.execPath, [next, 'dev', '-H', '127.0.0.1', '-p', port], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, ...backend.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'inherit',
  });
  console.log(`\n  Patchbay todos on ${provider}`);
  console.log(`  ${backend.describe}`);
  console.log(`  Open http://127.0.0.1:${port}/?user=alice and ?user=bob in two windows.`);
  console.log(
    '  Switch provider: edit realtime.config.ts or set PATCHBAY_PROVIDER. Ctrl-C stops.\n',
  );
  const stop = async () => {
    child.kill('SIGTERM');
    await backend.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  child.once('exit', (code) => {
    void backend.close().then(() => process.exit(code ?? 0));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
