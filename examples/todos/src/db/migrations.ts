import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { schemaMigrations } from './schema';

/**
 * The schema, as plain SQL run by the store when it opens (no drizzle-kit at runtime). Append new
 * migrations; never edit one that has shipped. Each statement runs on its own (PGlite's extended
 * protocol takes one statement per query).
 */
export const migrations: ReadonlyArray<{ id: number; name: string; statements: string[] }> = [
  {
    id: 1,
    name: 'todos',
    statements: [
      `CREATE TABLE IF NOT EXISTS todos (
        id uuid PRIMARY KEY,
        list_id text NOT NULL,
        title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
        done boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1 CHECK (version > 0),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_by text NOT NULL,
        deleted_at timestamptz
      )`,
      'CREATE INDEX IF NOT EXISTS todos_list_seq ON todos (list_id, seq)',
    ],
  },
];

/** An arbitrary constant: the advisory-lock key that serializes migrations across processes. */
const MIGRATION_LOCK = 7_300_422_117;

/**
 * Apply the migrations this database lacks, in one transaction holding an advisory lock, so two
 * processes opening the store against one Postgres at once do not race (CREATE ... IF NOT EXISTS
 * alone is not safe under concurrency); the second waits, then finds nothing left to do.
 */
export async function migrate(db: PgDatabase<PgQueryResultHKT>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.execute(
      sql.raw(`CREATE TABLE IF NOT EXISTS todos_schema_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`),
    );
    const applied = new Set(
      (await tx.select({ id: schemaMigrations.id }).from(schemaMigrations)).map((row) => row.id),
    );
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.insert(schemaMigrations).values({ id: migration.id, name: migration.name });
    }
  });
}
