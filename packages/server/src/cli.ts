import { parseArgs } from 'node:util';
import { createHubServer } from './createHubServer.js';

const usage = `Usage: patchbay-server [--port 8787] [--host 127.0.0.1] [--presence-grace-ms 5000]

Runs the Patchbay hub (Socket.IO at /patchbay/socket.io, SSE at /patchbay/sse, health at /health).
Without an authenticate hook any token is accepted as its user id: for local development only.`;

async function main(): Promise<void> {
  let values: { port?: string; host?: string; 'presence-grace-ms'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'presence-grace-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(
      `--port must be an integer between 0 and 65535; got "${values.port}".\n\n${usage}`,
    );
    process.exit(2);
  }
  const grace =
    values['presence-grace-ms'] === undefined ? undefined : Number(values['presence-grace-ms']);
  if (grace !== undefined && !(grace >= 0)) {
    console.error(
      `--presence-grace-ms must be a number ≥ 0; got "${values['presence-grace-ms']}".`,
    );
    process.exit(2);
  }
  const server = await createHubServer({
    port,
    host: values.host ?? '127.0.0.1',
    ...(grace !== undefined ? { presenceGraceMs: grace } : {}),
  });
  console.log(
    `Patchbay hub listening on ${server.url} (Socket.IO /patchbay/socket.io, SSE /patchbay/sse)`,
  );
  const stop = (signal: string) => {
    console.log(`\n${signal} received, closing the hub…`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE')
    console.error(`Port already in use: ${err.message}. Pick another with --port.`);
  else console.error(error);
  process.exit(1);
});
