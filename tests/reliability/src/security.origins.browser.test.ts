import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHubServer, type HubServer } from '@patchbay/realtime-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Browser origins, in a real browser: a page on origin A (a tiny server here) tries the hub on
 * origin B over SSE (fetch stream, EventSource) and Socket.IO (websocket, polling). Refused by
 * default, served when A is listed. The page reports what it saw to its own server, so the test
 * needs no browser automation library, only Debian's Chromium.
 */

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const socketIOClient = join(
  dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')),
  'dist/socket.io.min.js',
);

interface PageReport {
  sseFetch: string;
  eventSource: string;
  socketioWebsocket: string;
  socketioPolling: string;
}

/** Runs in the page: each attempt ends as what the page could observe. */
const pageScript = `
const hub = new URLSearchParams(location.search).get('hub');
const attempt = (transport) => new Promise((resolve) => {
  const socket = io(hub, { path: '/patchbay/socket.io', transports: [transport], auth: { token: 'alice' }, reconnection: false, forceNew: true });
  socket.once('pb:welcome', (welcome) => { socket.close(); resolve('welcome ' + welcome.clientId); });
  socket.once('connect_error', () => { socket.close(); resolve('refused'); });
});
(async () => {
  const report = {};
  try {
    const response = await fetch(hub + '/patchbay/sse/stream?token=alice');
    report.sseFetch = 'status ' + response.status;
    await response.body?.cancel();
  } catch {
    report.sseFetch = 'blocked';
  }
  report.eventSource = await new Promise((resolve) => {
    const source = new EventSource(hub + '/patchbay/sse/stream?token=alice');
    source.addEventListener('welcome', (event) => { source.close(); resolve('welcome ' + JSON.parse(event.data).clientId); });
    source.onerror = () => { source.close(); resolve('refused'); };
  });
  report.socketioWebsocket = await attempt('websocket');
  report.socketioPolling = await attempt('polling');
  await fetch('/report', { method: 'POST', body: JSON.stringify(report) });
})();
`;

/** Origin A: serves the page and socket.io-client, and takes the page's report. */
class PageOrigin {
  readonly #server: Server;
  #waiting: ((report: PageReport) => void) | undefined;

  constructor() {
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://a').pathname;
      if (path === '/page') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          `<!doctype html><script src="/socket.io.min.js"></script><script>${pageScript}</script>`,
        );
      } else if (path === '/socket.io.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(readFileSync(socketIOClient));
      } else if (path === '/report' && req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        req.on('end', () => {
          res.writeHead(204);
          res.end();
          this.#waiting?.(JSON.parse(body) as PageReport);
        });
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Open the page in Chromium against `hubUrl` and resolve what it reports. */
  async visit(origin: string, hubUrl: string): Promise<PageReport> {
    const report = new Promise<PageReport>((resolve) => {
      this.#waiting = resolve;
    });
    const profile = mkdtempSync(join(tmpdir(), 'patchbay-chromium-'));
    const browser: ChildProcess = spawn(
      chromiumPath,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        `${origin}/page?hub=${encodeURIComponent(hubUrl)}`,
      ],
      // Its own process group, so the helper processes (renderer, GPU, zygote) die with it.
      { stdio: 'ignore', detached: true },
    );
    const exited = new Promise<void>((resolve) => browser.once('exit', () => resolve()));
    try {
      return await Promise.race([
        report,
        exited.then(() => Promise.reject(new Error('Chromium exited before the page reported'))),
      ]);
    } finally {
      try {
        process.kill(-(browser.pid as number), 'SIGKILL');
      } catch {
        browser.kill('SIGKILL');
      }
      await exited;
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        // A helper still writing the profile (ENOTEMPTY): a temp directory left behind is not
        // what this test checks.
      }
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

describe('browser origins (Chromium)', () => {
  const page = new PageOrigin();
  const hubs: HubServer[] = [];
  let origin = '';

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `No Chromium at ${chromiumPath}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`,
      );
    }
    origin = await page.listen();
  });

  afterAll(async () => {
    for (const hub of hubs) {
      await hub.close();
      await hub.hub.close();
    }
    await page.close();
  });

  async function startHub(allowedOrigins?: string[]): Promise<HubServer> {
    const hub = await createHubServer({
      port: 0,
      allowAnonymous: true,
      ...(allowedOrigins ? { allowedOrigins } : {}),
    });
    hubs.push(hub);
    return hub;
  }

  it('a page on another origin is refused by default over SSE and Socket.IO', async () => {
    const hub = await startHub();
    const report = await page.visit(origin, hub.url);
    expect(report).toMatchObject({
      sseFetch: 'blocked',
      eventSource: 'refused',
      socketioWebsocket: 'refused',
      socketioPolling: 'refused',
    });
  });

  it('a page on a listed origin connects over SSE and Socket.IO', async () => {
    const hub = await startHub([origin]);
    expect(await page.visit(origin, hub.url)).toEqual({
      sseFetch: 'status 200',
      eventSource: 'welcome alice',
      socketioWebsocket: 'welcome alice',
      socketioPolling: 'welcome alice',
    });
  });
});
