/**
 * One server per child process, so the server has a core of its own and its CPU time can be
 * measured apart from the clients'. Driven over IPC by `servers/child.ts`:
 * `start` → `ready` (with what clients need), `cpu` → CPU time used so far, `memory` → heap and
 * RSS after a full GC (needs `--expose-gc`), `stop` → everything closed, then the process exits.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import {
  createPusherAuthHandler,
  createPusherPublishHandler,
} from '@patchbay/realtime-pusher/server';
import { createHubServer } from '@patchbay/realtime-server';
import { createAblyEmulator } from '@patchbay/realtime-testkit/ably';
import { createPusherEmulator } from '@patchbay/realtime-testkit/pusher';
import PusherServer from 'pusher';
import { Server as SocketIOServer } from 'socket.io';
import type { ServerKind, ServerRequest, ServerResponseMessage } from './protocol.js';

const PUSHER_APP = { appId: '4242', key: 'bench-key', secret: 'bench-secret' };

type Closer = () => Promise<void>;

function reply(message: ServerResponseMessage): void {
  process.send?.(message);
}

async function start(kind: ServerKind, heartbeatMs?: number): Promise<[unknown, Closer]> {
  switch (kind) {
    case 'hub': {
      const server = await createHubServer({
        port: 0,
        host: '127.0.0.1',
        // The benchmark's clients name themselves; identity checks are not what it measures.
        allowAnonymous: true,
        // Request rate limiting is a per-client policy; the benchmark measures the data path.
        rateLimit: false,
        ...(heartbeatMs !== undefined ? { sse: { heartbeatMs } } : {}),
      });
      return [
        { url: server.url },
        async () => {
          await server.close();
          await server.hub.close();
        },
      ];
    }
    case 'pusher': {
      const emulator = await createPusherEmulator({ ...PUSHER_APP, port: 0 });
      const pusher = new PusherServer(emulator.serverOptions());
      const authenticate = (token: string | undefined) =>
        token ? { userId: token.split('.')[0] ?? token } : null;
      const patchbayAuth = createPusherAuthHandler({ pusher, authenticate });
      const patchbayPublish = createPusherPublishHandler({ pusher, authenticate });
      // The same jobs written directly against the pusher SDK, as an app without Patchbay would.
      const rawAuth = async (request: Request): Promise<Response> => {
        const form = new URLSearchParams(await request.text());
        const auth = pusher.authorizeChannel(
          form.get('socket_id') ?? '',
          form.get('channel_name') ?? '',
        );
        return Response.json(auth);
      };
      const rawPublish = async (request: Request): Promise<Response> => {
        if (!request.headers.get('authorization')) return new Response(null, { status: 401 });
        const body = (await request.json()) as { channel: string; event: string; data: unknown };
        await pusher.trigger(body.channel, body.event, body.data);
        return Response.json({ ok: true });
      };
      const routes: Record<string, (request: Request) => Promise<Response>> = {
        '/pusher/auth': patchbayAuth,
        '/pusher/publish': patchbayPublish,
        '/raw/auth': rawAuth,
        '/raw/publish': rawPublish,
      };
      const app = createServer(
        getRequestListener(
          (request) => {
            const handler = routes[new URL(request.url).pathname];
            return handler ? handler(request) : new Response(null, { status: 404 });
          },
          { overrideGlobalObjects: false },
        ) as RequestListener,
      );
      const appUrl = await listen(app);
      return [
        {
          key: PUSHER_APP.key,
          appUrl,
          clientOptions: emulator.clientOptions(),
        },
        async () => {
          await closeHttp(app);
          await emulator.close();
        },
      ];
    }
    case 'ably': {
      const emulator = await createAblyEmulator({ port: 0 });
      return [{ clientOptions: emulator.clientOptions() }, () => emulator.close()];
    }
    case 'raw-socketio': {
      // The minimal Socket.IO fan-out: clients join a room, the publisher emits, the server
      // broadcasts to the room (one encode, one write per socket) and acks the publisher.
      const http = createServer();
      const io = new SocketIOServer(http, { path: '/socket.io' });
      io.on('connection', (socket) => {
        socket.on('join', (room: string, ack?: () => void) => {
          void socket.join(room);
          ack?.();
        });
        socket.on('pub', (room: string, data: unknown, ack?: () => void) => {
          io.to(room).emit('msg', data);
          ack?.();
        });
      });
      const url = await listen(http);
      return [
        { url },
        async () => {
          io.disconnectSockets(true);
          io.engine.close();
          await closeHttp(http);
        },
      ];
    }
    case 'raw-sse': {
      // The minimal SSE fan-out: every GET /stream is a subscriber; POST /publish writes the
      // body as one `data:` event to all of them and answers 200.
      const streams = new Set<ServerResponse>();
      const http = createServer((req, res) => {
        if (req.method === 'GET' && req.url?.startsWith('/stream')) {
          res.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache, no-transform',
            connection: 'keep-alive',
          });
          res.write(': ok\n\n');
          streams.add(res);
          res.on('close', () => streams.delete(res));
          return;
        }
        if (req.method === 'POST' && req.url === '/publish') {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            const event = Buffer.from(`event: message\ndata: ${Buffer.concat(chunks)}\n\n`);
            for (const stream of streams) stream.write(event);
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          });
          return;
        }
        res.writeHead(404).end();
      });
      const url = await listen(http);
      return [{ url }, () => closeHttp(http)];
    }
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, gc: !!gc };
}

let close: Closer | undefined;

process.on('message', (raw) => {
  const message = raw as ServerRequest;
  void (async () => {
    try {
      if (message.type === 'start') {
        const [info, closer] = await start(message.kind, message.heartbeatMs);
        close = closer;
        reply({ type: 'ready', info });
      } else if (message.type === 'cpu') {
        const usage = process.cpuUsage();
        reply({ type: 'cpu', micros: usage.user + usage.system });
      } else if (message.type === 'memory') {
        // Let pending socket and stream work settle before measuring.
        await new Promise((resolve) => setTimeout(resolve, 200));
        reply({ type: 'memory', ...memory() });
      } else if (message.type === 'stop') {
        await close?.();
        close = undefined;
        reply({ type: 'stopped' });
        process.disconnect?.();
        setTimeout(() => process.exit(0), 50).unref();
      }
    } catch (error) {
      reply({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});

// The parent went away (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => {
  void (close?.() ?? Promise.resolve()).finally(() => process.exit(0));
});
