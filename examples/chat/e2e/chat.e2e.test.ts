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
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-results', import.meta.url));
const PROVIDERS: Provider[] = (process.env.E2E_PROVIDERS?.split(',') as Provider[] | undefined) ?? [
  'socketio',
  'sse',
  'pusher',
  'ably',
  'supabase',
];

let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  await build({ root, logLevel: 'warn' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function openChat(url: string, name: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${url}/?name=${name}&room=e2e`);
  await expect
    .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 15_000 })
    .toBe('connected');
  return page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

const messagesOf = (page: Page) => page.getByTestId('messages').innerText();

for (const provider of PROVIDERS) {
  describe(`chat example on ${provider} in Chromium`, () => {
    let backend: Backend;
    let app: { url: string; close(): Promise<void> };
    let alice: Page;
    let bob: Page;

    beforeAll(async () => {
      backend = await startBackend(provider, { port: 0 });
      app = await serveBuiltApp(dist, backend);
    });

    afterAll(async () => {
      await alice?.close();
      await bob?.close();
      await app?.close();
      await backend?.close();
    });

    it('two pages in one room: messages, presence and typing cross over', async () => {
      alice = await openChat(app.url, 'alice');
      bob = await openChat(app.url, 'bob');
      await send(alice, 'hello from alice');
      await expect
        .poll(() => messagesOf(bob), { timeout: 10_000 })
        .toContain('alice: hello from alice');
      await expect
        .poll(() => bob.getByTestId('presence').innerText(), { timeout: 10_000 })
        .toMatch(/alice[\s\S]*bob|bob[\s\S]*alice/);
      await expect
        .poll(() => alice.getByTestId('presence').innerText(), { timeout: 10_000 })
        .toMatch(/alice[\s\S]*bob|bob[\s\S]*alice/);
      await alice.getByTestId('composer').fill('still typ');
      await expect
        .poll(() => bob.getByTestId('typing').innerText(), { timeout: 10_000 })
        .toContain('alice is typing');
      await bob.screenshot({ path: `${artifacts}/${provider}-bob-chat.png` });
      await alice.getByTestId('composer').fill('');
    });

    it('after a server restart the banner shows reconnecting, recovers, and a message sent during the outage arrives', async () => {
      await backend.stop();
      await expect
        .poll(() => alice.getByTestId('connection-state').textContent(), { timeout: 20_000 })
        .toBe('reconnecting');
      await alice.screenshot({ path: `${artifacts}/${provider}-alice-reconnecting.png` });
      await send(alice, 'sent during the outage');
      await expect.poll(() => alice.getByTestId('pending').textContent()).toContain('1 pending');
      await backend.start();
      for (const page of [alice, bob]) {
        await expect
          .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 40_000 })
          .toBe('connected');
      }
      await expect
        .poll(() => messagesOf(bob), { timeout: 20_000 })
        .toContain('alice: sent during the outage');
      await expect.poll(() => alice.getByTestId('pending').textContent()).toContain('0 pending');
      await bob.screenshot({ path: `${artifacts}/${provider}-bob-recovered.png` });
    });

    it('switching rooms moves presence with no ghost, and a page joining later sees the history', async () => {
      // Alice goes to #random: bob, still in #e2e, sees her leave.
      await alice.getByRole('button', { name: '#random' }).click();
      await expect
        .poll(() => bob.getByTestId('presence').innerText(), { timeout: 15_000 })
        .not.toContain('alice');
      await send(alice, 'hello random');
      await expect
        .poll(() => messagesOf(alice), { timeout: 10_000 })
        .toContain('alice: hello random');
      // Back in #e2e she is present again, and the room's earlier messages are there on join.
      await alice.getByRole('button', { name: '#e2e' }).click();
      await expect
        .poll(() => bob.getByTestId('presence').innerText(), { timeout: 15_000 })
        .toContain('alice');
      await expect
        .poll(() => messagesOf(alice), { timeout: 10_000 })
        .toContain('alice: hello from alice');
      expect(await messagesOf(alice)).not.toContain('hello random');
    });
  });
}
