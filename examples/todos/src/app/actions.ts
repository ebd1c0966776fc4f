'use server';

import type { z } from 'zod';
import { getTodoStore, TodoIdTakenError } from '@/db';
import { currentUser } from '@/server/identity';
import { publisher } from '@/server/publisher';
import {
  createTodoInput,
  deleteTodoInput,
  listChannel,
  listIdSchema,
  type Todo,
  updateTodoInput,
} from '@/shared/todos';

/**
 * A refusal is an answer, not an exception: the page rolls its optimistic change back and shows
 * `message`. A thrown error means the request did not get through, and the page retries it.
 */
export type ActionResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'invalid' | 'unauthenticated' | 'not_found'; message: string };

function invalid(error: z.ZodError): ActionResult<never> {
  const issue = error.issues[0];
  const field = issue?.path.length ? `"${issue.path.join('.')}" ` : '';
  return { ok: false, code: 'invalid', message: `${field}${issue?.message ?? 'is invalid'}` };
}

const signInFirst: ActionResult<never> = {
  ok: false,
  code: 'unauthenticated',
  message: 'No user: open the page with ?user=<name> (or reload it to get a guest name).',
};

/**
 * After the write commits, tell every tab. The event id is the todo's id and version, so a
 * repeated publish of one write reaches each page once.
 */
async function announce(listId: string, todo: Todo, by: string): Promise<void> {
  const channel = listChannel(listId);
  await (await publisher()).publish(channel, 'todo.upserted', todo, {
    id: `${todo.id}@${todo.version}`,
    clientId: by,
  });
}

export async function createTodo(listId: string, input: unknown): Promise<ActionResult<Todo>> {
  const list = listIdSchema.safeParse(listId);
  if (!list.success) return invalid(list.error);
  const parsed = createTodoInput.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  const user = await currentUser();
  if (!user) return signInFirst;
  let todo: Todo;
  try {
    todo = await (await getTodoStore()).create(list.data, parsed.data, user);
  } catch (error) {
    // The id belongs to another list or to a deleted todo: a final answer, not worth a retry.
    if (error instanceof TodoIdTakenError)
      return { ok: false, code: 'invalid', message: error.message };
    throw error;
  }
  await announce(list.data, todo, user);
  return { ok: true, value: todo };
}

export async function updateTodo(input: unknown): Promise<ActionResult<Todo>> {
  const parsed = updateTodoInput.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  const user = await currentUser();
  if (!user) return signInFirst;
  const todo = await (await getTodoStore()).update(parsed.data, user);
  if (!todo) return { ok: false, code: 'not_found', message: 'This todo was deleted.' };
  await announce(todo.listId, todo, user);
  return { ok: true, value: todo };
}

export async function deleteTodo(
  input: unknown,
): Promise<ActionResult<{ id: string; version: number }>> {
  const parsed = deleteTodoInput.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  const user = await currentUser();
  if (!user) return signInFirst;
  const removed = await (await getTodoStore()).remove(parsed.data.id, user);
  if (!removed) return { ok: false, code: 'not_found', message: 'This todo was already deleted.' };
  const tombstone = { id: removed.id, version: removed.version };
  await (await publisher()).publish(listChannel(removed.listId), 'todo.deleted', tombstone, {
    id: `${removed.id}@${removed.version}`,
    clientId: user,
  });
  return { ok: true, value: tombstone };
}
