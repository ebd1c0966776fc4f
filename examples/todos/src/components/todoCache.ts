import type { Todo } from '@/shared/todos';

/** A todo in the page's cache: the server's copy, or a local edit not yet confirmed (`pending`). */
export type ListTodo = Todo & { pending?: true };

/**
 * The cached list. `deleted` remembers deletes by version, so a copy older than the delete (a
 * late action reply, an event that was already in flight) cannot bring a todo back.
 */
export interface ListData {
  todos: ListTodo[];
  deleted: Record<string, number>;
  /** When each todo last changed here (event, reply or local edit), in `performance.now()` ms. */
  touched: Record<string, number>;
}

/** A delete this page made and the server has not confirmed yet: blocks every copy. */
export const DELETING = Number.MAX_SAFE_INTEGER;

export const emptyList: ListData = { todos: [], deleted: {}, touched: {} };

function touch(data: ListData, id: string): Record<string, number> {
  return { ...data.touched, [id]: performance.now() };
}

export function listKey(listId: string) {
  return ['todos', listId] as const;
}

function sorted(todos: ListTodo[]): ListTodo[] {
  // Creation order (the server's sequence); unconfirmed new todos last, in the order made.
  return [...todos].sort((a, b) => a.seq - b.seq);
}

/**
 * Last write wins by server version: keep whichever copy has the higher version. A pending local
 * edit holds the version it was made on, so any newer server copy replaces it (until this page's
 * own write comes back with a higher version still). Equal versions keep what is there.
 */
export function mergeTodo(data: ListData | undefined, todo: Todo): ListData {
  const base = data ?? emptyList;
  if ((base.deleted[todo.id] ?? 0) >= todo.version) return base;
  const index = base.todos.findIndex((t) => t.id === todo.id);
  const current = base.todos[index];
  if (current && current.version >= todo.version) return base;
  const todos = current
    ? base.todos.map((t, i) => (i === index ? todo : t))
    : sorted([...base.todos, todo]);
  return { ...base, todos, touched: touch(base, todo.id) };
}

export function applyDelete(
  data: ListData | undefined,
  tombstone: { id: string; version: number },
): ListData {
  const base = data ?? emptyList;
  const known = base.deleted[tombstone.id] ?? 0;
  return {
    todos: base.todos.filter((t) => t.id !== tombstone.id || t.version > tombstone.version),
    deleted: { ...base.deleted, [tombstone.id]: Math.max(known, tombstone.version) },
    touched: touch(base, tombstone.id),
  };
}

/** A local edit shown at once; the server's reply (or a refusal) settles it. */
export function applyLocal(
  data: ListData | undefined,
  id: string,
  change: Partial<Pick<Todo, 'title' | 'done'>>,
): ListData {
  const base = data ?? emptyList;
  return {
    ...base,
    todos: base.todos.map((t) => (t.id === id ? { ...t, ...change, pending: true } : t)),
    touched: touch(base, id),
  };
}

export function addLocal(data: ListData | undefined, todo: ListTodo): ListData {
  const base = data ?? emptyList;
  if (base.todos.some((t) => t.id === todo.id)) return base;
  return { ...base, todos: [...base.todos, todo], touched: touch(base, todo.id) };
}

/** Undo a refused local edit: put back the copy it replaced, unless a newer one arrived since. */
export function restore(
  data: ListData | undefined,
  previous: ListTodo | undefined,
  id: string,
): ListData {
  const base = data ?? emptyList;
  const current = base.todos.find((t) => t.id === id);
  const deleted = { ...base.deleted };
  if (deleted[id] === DELETING) delete deleted[id];
  const touched = touch(base, id);
  if (!previous) {
    return { todos: base.todos.filter((t) => t.id !== id || !t.pending), deleted, touched };
  }
  if (current && !current.pending) return { ...base, deleted, touched };
  const todos = current
    ? base.todos.map((t) => (t.id === id ? previous : t))
    : sorted([...base.todos, previous]);
  return { todos, deleted, touched };
}

/**
 * A refetch is the database's list as of when the request started. What this page learned since
 * (events, replies) and its unconfirmed edits and deletes stay on top of it, each by version: a
 * slow response must not undo a newer change, and an offline edit must not vanish when a
 * reconnect refetches. Deletes are remembered for good (ids are never reused).
 */
export function reconcile(
  current: ListData | undefined,
  fromServer: Todo[],
  startedAt: number,
): ListData {
  const base = current ?? emptyList;
  const todos = new Map<string, ListTodo>();
  for (const todo of fromServer) {
    if ((base.deleted[todo.id] ?? 0) < todo.version) todos.set(todo.id, todo);
  }
  for (const todo of base.todos) {
    if (!todo.pending && (base.touched[todo.id] ?? 0) < startedAt) continue;
    const server = todos.get(todo.id);
    // A pending edit holds the version it was made on: it stays over that same version.
    const keep =
      !server || (todo.pending ? server.version <= todo.version : server.version < todo.version);
    if (keep) todos.set(todo.id, todo);
  }
  const touched: Record<string, number> = {};
  for (const [id, at] of Object.entries(base.touched)) {
    if (at >= startedAt) touched[id] = at;
  }
  return { todos: sorted([...todos.values()]), deleted: base.deleted, touched };
}
