import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * One row per todo ever created. A delete is a tombstone (`deletedAt` set, `version` + 1), so an
 * id is never reused and a delete's version beats every earlier copy of the todo.
 */
export const todos = pgTable(
  'todos',
  {
    id: uuid('id').primaryKey(),
    listId: text('list_id').notNull(),
    title: text('title').notNull(),
    done: boolean('done').notNull().default(false),
    /** Grows by one per committed write, in the UPDATE itself (`version = version + 1`). */
    version: integer('version').notNull().default(1),
    /** Creation order (an identity column); lists are sorted by it. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .default(sql`clock_timestamp()`),
    updatedBy: text('updated_by').notNull(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [index('todos_list_seq').on(table.listId, table.seq)],
);

/** Which migrations (see migrations.ts) this database has applied. */
export const schemaMigrations = pgTable('todos_schema_migrations', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type TodoRow = typeof todos.$inferSelect;
