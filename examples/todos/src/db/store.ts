import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { CreateTodoInput, Todo, UpdateTodoInput } from '../shared/todos';
import { migrate } from './migrations';
import { type TodoRow, todos } from './schema';

export interface TodoStore {
  /** The list's todos that are not deleted, in creation order (`seq`). */
  list(listId: string): Promise<Todo[]>;
  /**
   * Idempotent by id: a retried create returns the existing row unchanged. Throws
   * {@link TodoIdTakenError} when the id belongs to another list or to a deleted todo.
   */
  create(listId: string, input: CreateTodoInput, by: string): Promise<Todo>;
  /** Last write wins: applies the change, version + 1. `null` if the todo is missing or deleted. */
  update(input: UpdateTodoInput, by: string): Promise<Todo | null>;
  /**
   * Soft delete: the row stays as a tombstone with version + 1, so the delete beats every earlier
   * copy. `null` if the todo is missing or already deleted.
   */
  remove(id: string, by: string): Promise<{ id: string; listId: string; version: number } | null>;
  /** Close the connection (pool or embedded database). Idempotent. */
  close(): Promise<void>;
}

export interface OpenTodoStoreOptions {
  /** A Postgres URL. Default: `DATABASE_URL` from the environment. Wins over `dataDir`. */
  databaseUrl?: string;
  /**
   * Where the embedded PGlite keeps its data (used when there is no database URL). Default:
   * `PGLITE_DATA_DIR` from the environment, else in memory (`memory://`).
   */
  dataDir?: string;
}

/** A create reused an id that belongs to another list or to a deleted todo. */
export class TodoIdTakenError extends Error {
  override readonly name = 'TodoIdTakenError';
  readonly code = 'TODO_ID_TAKEN';
  constructor(
    readonly id: string,
    readonly reason: 'other-list' | 'deleted',
  ) {
    super(
      reason === 'other-list'
        ? `Todo id ${id} is already used in another list; a new todo needs a new id`
        : `Todo id ${id} belongs to a deleted todo; a new todo needs a new id`,
    );
  }
}

type Database = PgDatabase<PgQueryResultHKT>;

function toTodo(row: TodoRow): Todo {
  return {
    id: row.id,
    listId: row.listId,
    title: row.title,
    done: row.done,
    version: row.version,
    seq: row.seq,
    updatedAt: row.updatedAt.toISOString(),
    updatedBy: row.updatedBy,
  };
}

/** The store's queries: the same for PGlite and for Postgres. */
function createStore(db: Database, closeClient: () => Promise<void>): TodoStore {
  let closing: Promise<void> | undefined;
  return {
    async list(listId) {
      const rows = await db
        .select()
        .from(todos)
        .where(and(eq(todos.listId, listId), isNull(todos.deletedAt)))
        .orderBy(asc(todos.seq));
      return rows.map(toTodo);
    },

    async create(listId, input, by) {
      const [inserted] = await db
        .insert(todos)
        .values({ id: input.id, listId, title: input.title, updatedBy: by })
        .onConflictDoNothing({ target: todos.id })
        .returning();
      if (inserted) return toTodo(inserted);
      // The id exists (ON CONFLICT waited for a concurrent insert of it to commit). Rows are never
      // hard-deleted, so this finds it.
      const [existing] = await db.select().from(todos).where(eq(todos.id, input.id));
      if (!existing) throw new Error(`Todo ${input.id} conflicted on insert but is not there`);
      if (existing.listId !== listId) throw new TodoIdTakenError(input.id, 'other-list');
      if (existing.deletedAt) throw new TodoIdTakenError(input.id, 'deleted');
      return toTodo(existing);
    },

    async update(input, by) {
      if (input.title === undefined && input.done === undefined) {
        throw new TypeError('update needs a title, done or both');
      }
      const [row] = await db
        .update(todos)
        .set({
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.done !== undefined ? { done: input.done } : {}),
          // Atomic: under concurrent writes each one adds one to the committed version.
          version: sql`${todos.version} + 1`,
          updatedAt: sql`clock_timestamp()`,
          updatedBy: by,
        })
        .where(and(eq(todos.id, input.id), isNull(todos.deletedAt)))
        .returning();
      return row ? toTodo(row) : null;
    },

    async remove(id, by) {
      const [row] = await db
        .update(todos)
        .set({
          deletedAt: sql`clock_timestamp()`,
          version: sql`${todos.version} + 1`,
          updatedAt: sql`clock_timestamp()`,
          updatedBy: by,
        })
        .where(and(eq(todos.id, id), isNull(todos.deletedAt)))
        .returning({ id: todos.id, listId: todos.listId, version: todos.version });
      return row ?? null;
    },

    close() {
      closing ??= closeClient();
      return closing;
    },
  };
}

/**
 * Open the todo store and bring its schema up to date. With a database URL (option or
 * `DATABASE_URL`) it talks to Postgres through a `pg` pool; otherwise it runs an embedded PGlite,
 * in memory or in `dataDir` / `PGLITE_DATA_DIR`. Explicit options win over the environment.
 */
export async function openTodoStore(options: OpenTodoStoreOptions = {}): Promise<TodoStore> {
  const databaseUrl =
    options.databaseUrl ?? (options.dataDir === undefined ? process.env.DATABASE_URL : undefined);
  if (databaseUrl) {
    const [{ Pool }, { drizzle }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
    ]);
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    // An idle connection that breaks (e.g. Postgres restarts) must not crash the process; the
    // pool replaces it and the next query reports any lasting problem.
    pool.on('error', (error) => console.error('todos: idle Postgres connection failed:', error));
    const db: Database = drizzle({ client: pool });
    try {
      await migrate(db);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return createStore(db, () => pool.end());
  }

  const dataDir = options.dataDir ?? process.env.PGLITE_DATA_DIR ?? 'memory://';
  const [{ PGlite }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  const client = await PGlite.create({ dataDir });
  const db: Database = drizzle({ client });
  try {
    await migrate(db);
  } catch (error) {
    await client.close();
    throw error;
  }
  return createStore(db, () => client.close());
}

const GLOBAL_KEY = '__patchbayTodoStore';
type StoreHolder = typeof globalThis & { [GLOBAL_KEY]?: Promise<TodoStore> };

/**
 * The process's one store (opened on first use from the environment), kept on `globalThis` so
 * that Next.js dev hot reloads reuse it instead of opening another pool or PGlite. A failed open
 * is forgotten, so the next call tries again; closing it lets the next call open a fresh one.
 */
export function getTodoStore(): Promise<TodoStore> {
  const holder = globalThis as StoreHolder;
  const existing = holder[GLOBAL_KEY];
  if (existing) return existing;
  const opening: Promise<TodoStore> = openTodoStore().then((store) => ({
    ...store,
    close: async () => {
      if (holder[GLOBAL_KEY] === opening) delete holder[GLOBAL_KEY];
      await store.close();
    },
  }));
  holder[GLOBAL_KEY] = opening;
  opening.catch(() => {
    if (holder[GLOBAL_KEY] === opening) delete holder[GLOBAL_KEY];
  });
  return opening;
}
