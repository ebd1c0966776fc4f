import { defineChannel } from '@patchbay/realtime-core';
import { z } from 'zod';

/**
 * One schema for every boundary: the server actions validate their input with it, the database
 * layer returns it, the server publishes it, and the channel definition validates it again on
 * every page that receives it.
 */
export const todoId = z.uuid({ message: 'must be a UUID (the page makes one per new todo)' });
export const title = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

/** A todo as the server stores it. `version` grows by one per committed write (last write wins). */
export const todoSchema = z.object({
  id: todoId,
  listId: z.string().min(1),
  title,
  done: z.boolean(),
  /** Server version: a page keeps the copy with the highest version. */
  version: z.number().int().positive(),
  /** Creation order in the list (a database sequence); the list is sorted by it. */
  seq: z.number().int().positive(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type Todo = z.infer<typeof todoSchema>;

export const createTodoInput = z.object({ id: todoId, title }).strict();
export const updateTodoInput = z
  .object({ id: todoId, title: title.optional(), done: z.boolean().optional() })
  .strict()
  .refine((input) => input.title !== undefined || input.done !== undefined, {
    message: 'say what to change: title, done or both',
  });
export const deleteTodoInput = z.object({ id: todoId }).strict();
export type CreateTodoInput = z.infer<typeof createTodoInput>;
export type UpdateTodoInput = z.infer<typeof updateTodoInput>;
export type DeleteTodoInput = z.infer<typeof deleteTodoInput>;

/** What the server publishes after each committed write. */
export const todoEvents = {
  'todo.upserted': todoSchema,
  /** A delete is a write too: its version beats every earlier copy of the todo. */
  'todo.deleted': z.object({ id: todoId, version: z.number().int().positive() }),
};

/** Who is viewing the list, and which todo each of them is editing. */
export const viewerSchema = z.object({
  name: z.string().min(1).max(100),
  editing: todoId.nullable(),
});
export type Viewer = z.infer<typeof viewerSchema>;

export const DEFAULT_LIST = 'main';

export const listIdSchema = z
  .string({ message: 'is required (a list id such as "main")' })
  .regex(/^[a-z0-9-]{1,40}$/, 'must be 1–40 lowercase letters, digits or "-"');

export function listChannelName(listId: string): string {
  return `todos-${listId}`;
}

function defineList(listId: string) {
  return defineChannel(listChannelName(listId), todoEvents, { presence: viewerSchema });
}
export type ListChannel = ReturnType<typeof defineList>;

const lists = new Map<string, ListChannel>();

/** One definition per list for the app's lifetime (a client accepts one per channel name). */
export function listChannel(listId: string): ListChannel {
  let definition = lists.get(listId);
  if (!definition) {
    definition = defineList(listId);
    lists.set(listId, definition);
  }
  return definition;
}
