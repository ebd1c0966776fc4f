import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServerHandle, startPostgresServer } from '@patchbay/realtime-testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getTodoStore, openTodoStore, TodoIdTakenError, type TodoStore } from '../src/db';
import { todoSchema } from '../src/shared/todos';

let server: PostgresServerHandle;
const opened: TodoStore[] = [];

beforeAll(async () => {
  server = await startPostgresServer();
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await server?.stop();
});

/** Open a store that the file closes at the end (if the test did not close it already). */
async function track(opening: Promise<TodoStore>): Promise<TodoStore> {
  const store = await opening;
  opened.push(store);
  return store;
}

/** A new, empty database on the test server (the schema does not exist there yet). */
async function freshDatabase(): Promise<string> {
  const name = `todos_${randomUUID().replaceAll('-', '')}`;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

const backends = [
  { name: 'PGlite (in memory)', open: () => openTodoStore({ dataDir: 'memory://' }) },
  { name: 'PostgreSQL', open: async () => openTodoStore({ databaseUrl: await freshDatabase() }) },
];

describe.each(backends)('TodoStore on $name', ({ open }) => {
  let store: TodoStore;
  beforeAll(async () => {
    store = await track(open());
  });
  /** Every test writes to lists of its own, so the tests share one store without seeing each other. */
  const newList = () => `list-${randomUUID().slice(0, 8)}`;

  it('creates todos and lists them in creation order, per list', async () => {
    const listId = newList();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const created = [];
    for (const [i, id] of ids.entries()) {
      created.push(await store.create(listId, { id, title: `todo ${i}` }, 'alice'));
    }
    for (const todo of created) {
      expect(todoSchema.parse(todo)).toEqual(todo);
      expect(todo).toMatchObject({ listId, done: false, version: 1, updatedBy: 'alice' });
      expect(typeof todo.seq).toBe('number');
      expect(new Date(todo.updatedAt).toISOString()).toBe(todo.updatedAt);
    }
    expect(created.map((t) => t.seq)).toEqual([...created.map((t) => t.seq)].sort((a, b) => a - b));
    expect(new Set(created.map((t) => t.seq)).size).toBe(3);

    const otherList = newList();
    await store.create(otherList, { id: randomUUID(), title: 'elsewhere' }, 'bob');
    expect(await store.list(listId)).toEqual(created);
    expect((await store.list(otherList)).map((t) => t.title)).toEqual(['elsewhere']);
    expect(await store.list('no-such-list')).toEqual([]);
  });

  it('makes create idempotent by id: a retry returns the existing row and does not change it', async () => {
    const listId = newList();
    const id = randomUUID();
    const first = await store.create(listId, { id, title: 'buy milk' }, 'alice');
    const renamed = await store.update({ id, title: 'buy oat milk' }, 'bob');
    const retry = await store.create(listId, { id, title: 'buy milk' }, 'alice');
    expect(retry).toEqual(renamed);
    expect(retry.version).toBe(2);
    expect(retry.seq).toBe(first.seq);
    expect(await store.list(listId)).toEqual([renamed]);
  });

  it('returns one row to creates of one id that race', async () => {
    const listId = newList();
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => store.create(listId, { id, title: 'once' }, 'alice')),
    );
    for (const todo of results) expect(todo).toEqual(results[0]);
    expect(await store.list(listId)).toEqual([results[0]]);
  });

  it('refuses to reuse an id from another list or from a deleted todo', async () => {
    const listId = newList();
    const id = randomUUID();
    const todo = await store.create(listId, { id, title: 'mine' }, 'alice');

    const otherList = store.create('other-list', { id, title: 'theirs' }, 'mallory');
    await expect(otherList).rejects.toBeInstanceOf(TodoIdTakenError);
    await expect(otherList).rejects.toThrow(/already used in another list/);
    expect(await store.list(listId)).toEqual([todo]);
    expect(await store.list('other-list')).toEqual([]);

    await store.remove(id, 'alice');
    const afterDelete = store.create(listId, { id, title: 'back again' }, 'alice');
    await expect(afterDelete).rejects.toMatchObject({ code: 'TODO_ID_TAKEN', reason: 'deleted' });
    expect(await store.list(listId)).toEqual([]);
  });

  it('updates last-write-wins: concurrent updates all commit with distinct versions, the highest is the row', async () => {
    const listId = newList();
    const id = randomUUID();
    await store.create(listId, { id, title: 'start' }, 'alice');
    const writers = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const results = await Promise.all(
      writers.map((by) => store.update({ id, title: `renamed by ${by}` }, by)),
    );
    const versions = results.map((todo) => todo?.version);
    expect([...versions].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([2, 3, 4, 5, 6, 7]);
    const last = results.find((todo) => todo?.version === 7);
    expect(last?.title).toBe(`renamed by ${last?.updatedBy}`);
    expect(await store.list(listId)).toEqual([last]);
  });

  it('toggles done without touching the title, and renames without touching done', async () => {
    const listId = newList();
    const id = randomUUID();
    const created = await store.create(listId, { id, title: 'water plants' }, 'alice');
    const toggled = await store.update({ id, done: true }, 'bob');
    expect(toggled).toMatchObject({
      title: 'water plants',
      done: true,
      version: 2,
      updatedBy: 'bob',
    });
    expect(toggled?.seq).toBe(created.seq);
    expect(Date.parse(toggled?.updatedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(created.updatedAt),
    );
    const renamed = await store.update({ id, title: 'water the plants' }, 'carol');
    expect(renamed).toMatchObject({ title: 'water the plants', done: true, version: 3 });
    const both = await store.update({ id, title: 'done with plants', done: false }, 'dave');
    expect(both).toMatchObject({ title: 'done with plants', done: false, version: 4 });
    expect(await store.list(listId)).toEqual([both]);
  });

  it('deletes softly: the delete has the next version, the list drops it, later writes get null', async () => {
    const listId = newList();
    const [keep, gone] = [randomUUID(), randomUUID()];
    const kept = await store.create(listId, { id: keep, title: 'keep' }, 'alice');
    await store.create(listId, { id: gone, title: 'gone' }, 'alice');
    await store.update({ id: gone, done: true }, 'bob');

    expect(await store.remove(gone, 'carol')).toEqual({ id: gone, listId, version: 3 });
    expect(await store.list(listId)).toEqual([kept]);
    expect(await store.update({ id: gone, title: 'revived?' }, 'bob')).toBeNull();
    expect(await store.remove(gone, 'carol')).toBeNull();
    expect(await store.list(listId)).toEqual([kept]);
  });

  it('answers null for a todo that never existed', async () => {
    const id = randomUUID();
    expect(await store.update({ id, done: true }, 'alice')).toBeNull();
    expect(await store.remove(id, 'alice')).toBeNull();
  });

  it('orders a delete racing updates after every update it beat', async () => {
    const listId = newList();
    const id = randomUUID();
    await store.create(listId, { id, title: 'contested' }, 'alice');
    const [a, removed, b] = await Promise.all([
      store.update({ id, done: true }, 'alice'),
      store.remove(id, 'bob'),
      store.update({ id, title: 'still here?' }, 'carol'),
    ]);
    expect(removed).not.toBeNull();
    // An update either committed before the delete (lower version) or found the tombstone (null).
    for (const update of [a, b]) {
      if (update) expect(update.version).toBeLessThan(removed?.version ?? 0);
    }
    expect(await store.list(listId)).toEqual([]);
  });
});

describe('PostgreSQL', () => {
  it('lets several stores open a new database at once (the migration runs once, under a lock)', async () => {
    const url = await freshDatabase();
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => track(openTodoStore({ databaseUrl: url }))),
    );
    const [a, b] = stores as [TodoStore, TodoStore];
    const id = randomUUID();
    const created = await a.create('shared', { id, title: 'from a' }, 'alice');
    expect(await b.list('shared')).toEqual([created]);
    expect(await b.update({ id, done: true }, 'bob')).toMatchObject({ version: 2 });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT id FROM todos_schema_migrations ORDER BY id');
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('keeps the data when the store is closed and opened again', async () => {
    const url = await freshDatabase();
    const first = await openTodoStore({ databaseUrl: url });
    const id = randomUUID();
    await first.create('persist', { id, title: 'survives' }, 'alice');
    const updated = await first.update({ id, done: true }, 'bob');
    await first.close();
    await first.close(); // closing twice is harmless

    const second = await track(openTodoStore({ databaseUrl: url }));
    expect(await second.list('persist')).toEqual([updated]);
    expect(await second.update({ id, title: 'still survives' }, 'carol')).toMatchObject({
      version: 3,
    });
    const next = await second.create('persist', { id: randomUUID(), title: 'after' }, 'carol');
    expect(next.seq).toBeGreaterThan(updated?.seq ?? Number.POSITIVE_INFINITY);
  });

  it('uses DATABASE_URL when no option is given, and getTodoStore() opens one store per process', async () => {
    const url = await freshDatabase();
    vi.stubEnv('DATABASE_URL', url);
    vi.stubEnv('PGLITE_DATA_DIR', undefined);
    try {
      const opening = getTodoStore();
      expect(getTodoStore()).toBe(opening);
      const store = await opening;
      const id = randomUUID();
      await store.create('env', { id, title: 'via env' }, 'alice');
      const direct = await track(openTodoStore({ databaseUrl: url }));
      expect((await direct.list('env')).map((t) => t.id)).toEqual([id]);

      await store.close();
      const reopened = getTodoStore();
      expect(reopened).not.toBe(opening);
      const again = await reopened;
      expect((await again.list('env')).map((t) => t.id)).toEqual([id]);
      await again.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('reports a database it cannot reach', async () => {
    const url = new URL(server.url);
    url.pathname = '/no_such_database';
    await expect(openTodoStore({ databaseUrl: url.toString() })).rejects.toThrow(
      /no_such_database/,
    );
  });
});

describe('PGlite', () => {
  it('keeps the data in dataDir across reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'todos-pglite-'));
    try {
      const first = await openTodoStore({ dataDir: dir });
      const id = randomUUID();
      await first.create('persist', { id, title: 'on disk' }, 'alice');
      const removedId = randomUUID();
      await first.create('persist', { id: removedId, title: 'removed' }, 'alice');
      const removed = await first.remove(removedId, 'alice');
      const updated = await first.update({ id, done: true }, 'bob');
      await first.close();

      const second = await openTodoStore({ dataDir: dir });
      try {
        expect(await second.list('persist')).toEqual([updated]);
        expect(await second.remove(removedId, 'bob')).toBeNull();
        await expect(
          second.create('persist', { id: removedId, title: 'again' }, 'bob'),
        ).rejects.toBeInstanceOf(TodoIdTakenError);
        expect(removed?.version).toBe(2);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prefers an explicit dataDir over DATABASE_URL, and PGLITE_DATA_DIR over memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'todos-pglite-'));
    vi.stubEnv('DATABASE_URL', 'postgres://nobody@127.0.0.1:1/unreachable');
    try {
      const explicit = await openTodoStore({ dataDir: 'memory://' });
      expect(await explicit.list('main')).toEqual([]);
      await explicit.close();

      vi.stubEnv('DATABASE_URL', undefined);
      vi.stubEnv('PGLITE_DATA_DIR', dir);
      const fromEnv = await openTodoStore();
      const todo = await fromEnv.create('main', { id: randomUUID(), title: 'in env dir' }, 'alice');
      await fromEnv.close();
      const reopened = await openTodoStore({ dataDir: dir });
      expect(await reopened.list('main')).toEqual([todo]);
      await reopened.close();
    } finally {
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
