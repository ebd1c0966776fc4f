import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../realtime.config.js';
import { type Backend, startBackend } from '../server/backends.js';
import { serveBuiltApp } from '../server/staticServer.js';
import { launchChromium } from './browser.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-results', import.meta.url));
const devBuild = `${artifacts}/dist-devtools`;
const screenshot = fileURLToPath(
  new URL('../../../packages/devtools/devtools.png', import.meta.url),
);
const PROVIDERS: Provider[] = (process.env.DEVTOOLS_PROVIDERS?.split(',') as
  | Provider[]
  | undefined) ?? ['socketio', 'ably'];

let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  // A development build, as `NODE_ENV=development vite build --mode development` makes it: the
  // app renders the panel only when `import.meta.env.DEV`, which Vite derives from NODE_ENV (vitest
  // sets it to `test`), and the devtools' main entry is `() => null` when NODE_ENV is `production`.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'development';
  try {
    await build({
      root,
      mode: 'development',
      logLevel: 'warn',
      build: { outDir: devBuild, emptyOutDir: true, minify: false, sourcemap: false },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function open(url: string, query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(`${url}/?${query}`);
  await expect
    .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 15_000 })
    .toBe('connected');
  return page;
}

for (const provider of PROVIDERS) {
  describe(`devtools in the chat example on ${provider} in Chromium`, () => {
    let backend: Backend;
    let app: { url: string; close(): Promise<void> };
    let alice: Page | undefined;
    let bob: Page | undefined;

    beforeAll(async () => {
      backend = await startBackend(provider, { port: 0 });
      app = await serveBuiltApp(devBuild, backend);
    });

    afterAll(async () => {
      await alice?.close();
      await bob?.close();
      await app?.close();
      await backend?.close();
    });

    it('shows connected, the room with one subscription and both members; drop the link reconnects; a sent message is listed', async () => {
      alice = await open(app.url, 'name=alice&room=devtools&devtools');
      bob = await open(app.url, 'name=bob&room=devtools');
      const panel = alice.getByTestId('pb-devtools');
      const state = panel.getByTestId('pb-devtools-state');
      const room = panel.locator(
        '[data-testid="pb-devtools-channel"][data-channel="room-devtools"]',
      );

      await expect.poll(() => state.textContent()).toBe('connected');
      expect(await panel.getByTestId('pb-devtools-provider').textContent()).toBe(provider);
      await expect
        .poll(() => room.locator('summary').innerText(), { timeout: 10_000 })
        .toMatch(/room-devtools attached · 1 subscription · \d+ holds/);
      await expect
        .poll(() => room.getByTestId('pb-devtools-members').innerText(), { timeout: 15_000 })
        .toMatch(/Members \(2\): (alice, bob|bob, alice)/);

      await panel.getByRole('button', { name: 'Drop the link' }).click();
      await expect
        .poll(() => panel.getByTestId('pb-devtools-timeline').innerText(), { timeout: 10_000 })
        .toMatch(/reconnecting \(attempt \d+\)/);
      await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe('connected');
      await expect
        .poll(() => room.locator('summary').innerText(), { timeout: 15_000 })
        .toMatch(/attached · 1 subscription/);

      await alice.getByTestId('composer').fill('hello from alice');
      await alice.getByTestId('composer').press('Enter');
      await expect
        .poll(() => room.getByTestId('pb-devtools-messages').innerText(), { timeout: 10_000 })
        .toMatch(/message\s+\d+ B\s+alice/);
      await expect
        .poll(() => room.getByTestId('pb-devtools-members').innerText(), { timeout: 15_000 })
        .toMatch(/Members \(2\): (alice, bob|bob, alice)/);

      await panel.screenshot({ path: `${artifacts}/${provider}-devtools.png` });
      // The README's picture: refreshed only on request, so a test run leaves the tree clean.
      if (provider === 'socketio' && process.env.UPDATE_DEVTOOLS_SCREENSHOT) {
        await panel.screenshot({ path: screenshot });
      }
    });
  });
}
