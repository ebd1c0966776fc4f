import { type PostgresServerHandle, startPostgresServer } from '@patchbay/realtime-testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../realtime.config';
import { type Backend, startBackend } from '../scripts/backends';
import { launchChromium } from './browser';
import { type NextApp, startNextApp } from './nextApp';

const PROVIDERS: Provider[] = (process.env.E2E_PROVIDERS?.split(',') as Provider[] | undefined) ?? [
  'sse',
  'socketio',
  'pusher',
  'ably',
  'supabase',
];

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

interface Tab {
  context: BrowserContext;
  page: Page;
}

/** What a user sees: each todo as `title|done`, in list order. */
function shown(page: Page): Promise<string[]> {
  return page
    .getByTestId('todo')
    .evaluateAll((items) =>
      items.map(
        (item) => `${(item as HTMLElement).dataset.title}|${(item as HTMLElement).dataset.done}`,
      ),
    );
}

function pending(page: Page): Promise<number> {
  return page.locator('[data-testid="todo"][data-pending="true"]').count();
}

function item(page: Page, title: string) {
  return page.locator(`[data-testid="todo"][data-title="${title}"]`);
}

async function add(page: Page, title: string): Promise<void> {
  await page.getByTestId('new-todo').fill(title);
  await page.getByTestId('new-todo').press('Enter');
}

async function rename(page: Page, from: string, to: string): Promise<void> {
  const field = item(page, from).getByTestId('title');
  await field.fill(to);
  await field.press('Enter');
}

for (const provider of PROVIDERS) {
  // One provider runs on a real PostgreSQL server (DATABASE_URL), the others on embedded PGlite:
  // the same app, no code change.
  const onPostgres = provider === 'socketio';
  describe(`todos example on ${provider} (${onPostgres ? 'PostgreSQL' : 'PGlite'}) in Chromium`, () => {
    let backend: Backend;
    let database: PostgresServerHandle | undefined;
    let app: NextApp;
    const tabs: Tab[] = [];

    beforeAll(async () => {
      backend = await startBackend(provider, { port: 0 });
      database = onPostgres ? await startPostgresServer() : undefined;
      app = await startNextApp({
        ...backend.env,
        ...(database ? { DATABASE_URL: database.url } : {}),
      });
    });

    afterAll(async () => {
      for (const tab of tabs) await tab.context.close().catch(() => {});
      await app?.close();
      await database?.stop();
      await backend?.close();
    });

    async function open(user: string, list: string): Promise<Page> {
      const context = await browser.newContext();
      const page = await context.newPage();
      tabs.push({ context, page });
      page.on('pageerror', (error) => console.error(`[${provider} ${user}] ${error.message}`));
      await page.goto(`${app.url}/?user=${user}&list=${list}`);
      await expect
        .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 20_000 })
        .toBe('connected');
      return page;
    }

    async function inDatabase(list: string): Promise<string[]> {
      const response = await fetch(`${app.url}/api/todos?list=${list}`);
      const todos = (await response.json()) as Array<{ title: string; done: boolean }>;
      return todos.map((todo) => `${todo.title}|${todo.done}`);
    }

    it('two pages see each other create, toggle, rename and delete, and who is viewing and editing', async () => {
      const list = `crud-${provider}`;
      const alice = await open('alice', list);
      const bob = await open('bob', list);
      // `next start` serves the production build: the devtools are not in it, not even their button.
      expect(await alice.getByTestId('pb-devtools-open').count()).toBe(0);
      await expect
        .poll(() => alice.getByTestId('viewers').innerText(), { timeout: 15_000 })
        .toContain('bob');
      await expect
        .poll(() => bob.getByTestId('viewers').innerText(), { timeout: 15_000 })
        .toContain('alice');

      await add(alice, 'milk');
      await expect.poll(() => shown(bob), { timeout: 15_000 }).toEqual(['milk|false']);

      await item(bob, 'milk').getByTestId('toggle').click();
      await expect.poll(() => shown(alice), { timeout: 15_000 }).toEqual(['milk|true']);

      await rename(alice, 'milk', 'oat milk');
      await expect.poll(() => shown(bob), { timeout: 15_000 }).toEqual(['oat milk|true']);

      // Bob edits the title: Alice sees who is editing which todo, until he leaves the field.
      await item(bob, 'oat milk').getByTestId('title').focus();
      await expect
        .poll(() => item(alice, 'oat milk').getByTestId('editing').textContent(), {
          timeout: 15_000,
        })
        .toBe('bob editing…');
      await item(bob, 'oat milk').getByTestId('title').press('Escape');
      await expect
        .poll(() => item(alice, 'oat milk').getByTestId('editing').textContent(), {
          timeout: 15_000,
        })
        .toBe('');

      await item(bob, 'oat milk').getByTestId('delete').click();
      await expect.poll(() => shown(alice), { timeout: 15_000 }).toEqual([]);
      expect(await inDatabase(list)).toEqual([]);
    });

    it('two pages renaming one todo at once settle on the same title: the later write', async () => {
      const list = `race-${provider}`;
      const alice = await open('alice', list);
      const bob = await open('bob', list);
      await add(alice, 'draft');
      await expect.poll(() => shown(bob), { timeout: 15_000 }).toEqual(['draft|false']);
      await expect.poll(() => pending(alice), { timeout: 15_000 }).toBe(0);

      const aliceField = item(alice, 'draft').getByTestId('title');
      const bobField = item(bob, 'draft').getByTestId('title');
      await aliceField.fill('from alice');
      await bobField.fill('from bob');
      await Promise.all([aliceField.press('Enter'), bobField.press('Enter')]);

      await expect
        .poll(async () => (await pending(alice)) + (await pending(bob)), { timeout: 15_000 })
        .toBe(0);
      await expect
        .poll(async () => [await shown(alice), await shown(bob)], { timeout: 15_000 })
        .toEqual([await inDatabase(list), await inDatabase(list)]);
      const [final] = await inDatabase(list);
      expect(['from alice|false', 'from bob|false']).toContain(final);
      // The database kept the later write: the one with the higher version is what both show.
      const [row] = (await (await fetch(`${app.url}/api/todos?list=${list}`)).json()) as Array<{
        version: number;
        updatedBy: string;
        title: string;
      }>;
      expect(row?.version).toBe(3);
      expect(row?.title).toBe(`from ${row?.updatedBy}`);
    });

    it('edits made offline arrive after the page is back, nothing lost or doubled', async () => {
      const list = `offline-${provider}`;
      const alice = await open('alice', list);
      const bob = await open('bob', list);
      await add(alice, 'bread');
      await expect.poll(() => shown(bob), { timeout: 15_000 }).toEqual(['bread|false']);
      await expect.poll(() => pending(alice), { timeout: 15_000 }).toBe(0);

      const bobTab = tabs.find((tab) => tab.page === bob) as Tab;
      await bobTab.context.setOffline(true);
      await add(bob, 'eggs');
      await add(bob, 'jam');
      await item(bob, 'bread').getByTestId('toggle').click();
      await rename(bob, 'bread', 'rye bread');
      // Shown at once on Bob's page, saved nowhere yet.
      expect(await shown(bob)).toEqual(['rye bread|true', 'eggs|false', 'jam|false']);
      expect(await pending(bob)).toBe(3);
      expect(await inDatabase(list)).toEqual(['bread|false']);
      // Meanwhile Alice adds one: committed before Bob's edits, so listed before them.
      await add(alice, 'tea');
      await expect
        .poll(() => inDatabase(list), { timeout: 15_000 })
        .toEqual(['bread|false', 'tea|false']);

      await bobTab.context.setOffline(false);
      const expected = ['rye bread|true', 'tea|false', 'eggs|false', 'jam|false'];
      await expect.poll(() => inDatabase(list), { timeout: 30_000 }).toEqual(expected);
      await expect.poll(() => shown(alice), { timeout: 30_000 }).toEqual(expected);
      await expect.poll(() => shown(bob), { timeout: 30_000 }).toEqual(expected);
      await expect.poll(() => pending(bob), { timeout: 15_000 }).toBe(0);
      await expect
        .poll(() => bob.getByTestId('connection-state').textContent(), { timeout: 30_000 })
        .toBe('connected');

      // After a reload the list is the database's.
      await bob.reload();
      await expect
        .poll(() => bob.getByTestId('connection-state').textContent(), { timeout: 20_000 })
        .toBe('connected');
      expect(await shown(bob)).toEqual(await inDatabase(list));
      expect(await shown(bob)).toEqual(expected);
    });
  });
}
