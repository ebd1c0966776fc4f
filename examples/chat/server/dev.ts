import { createServer as createViteServer } from 'vite';
import { provider as configured, type Provider, providers } from '../realtime.config.js';
import { type Backend, startBackend } from './backends.js';
import { configScript } from './configScript.js';

/**
 * `pnpm dev`: start what the chosen provider needs (hub or emulator) and the Vite dev server in
 * one process. One Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const override = process.env.PATCHBAY_PROVIDER;
  if (override !== undefined && !providers.includes(override as Provider)) {
    console.error(`PATCHBAY_PROVIDER must be one of ${providers.join(', ')}; got "${override}".`);
    process.exit(2);
  }
  const provider = (override as Provider | undefined) ?? configured;
  const backend: Backend = await startBackend(provider);
  const vite = await createViteServer({
    root: new URL('..', import.meta.url).pathname,
    server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173) },
    plugins: [
      {
        name: 'patchbay-config',
        configureServer(server) {
          server.middlewares.use('/patchbay-config.js', (_req, res) => {
            res.setHeader('content-type', 'text/javascript; charset=utf-8');
            res.setHeader('cache-control', 'no-store');
            res.end(configScript(backend));
          });
        },
      },
    ],
  });
  await vite.listen();
  const url = vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  console.log(`\n  Patchbay chat on ${provider}`);
  console.log(`  ${backend.describe}`);
  console.log(`  Open ${url}?name=alice and ${url}?name=bob in two windows.`);
  console.log(
    '  Switch provider: edit examples/chat/realtime.config.ts or set PATCHBAY_PROVIDER. Ctrl-C stops.\n',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([vite.close(), backend.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
