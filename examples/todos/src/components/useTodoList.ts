'use client';

import { useChannel } from '@patchbay/realtime-react';
import { usePatchOnEvent } from '@patchbay/realtime-react/query';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { type ActionResult, createTodo, deleteTodo, updateTodo } from '@/app/actions';
import { listChannel, type Todo } from '@/shared/todos';
import {
  addLocal,
  applyDelete,
  applyLocal,
  DELETING,
  type ListData,
  type ListTodo,
  listKey,
  mergeTodo,
  reconcile,
  restore,
} from './todoCache';

/** The server said no (invalid input, deleted todo): roll back, do not retry. */
class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function unwrap<T>(result: ActionResult<T>): T {
  if (!result.ok) throw new Refusal(result.code, result.message);
  return result.value;
}

async function fetchList(listId: string): Promise<Todo[]> {
  const response = await fetch(`/api/todos?list=${encodeURIComponent(listId)}`, {
    cache: 'no-store',
  });
  if (!response.ok) throw new Error(`Loading the list failed (HTTP ${response.status}).`);
  return (await response.json()) as Todo[];
}

const mutationDefaults = {
  // A request that did not get through is tried again (and waits while the browser is offline:
  // TanStack Query pauses mutations until it is back); a refusal is final.
  retry: (failures: number, error: Error) => !(error instanceof Refusal) && failures < 20,
  retryDelay: (failures: number) => Math.min(250 * 2 ** failures, 5_000),
} as const;

/**
 * The list: TanStack Query owns it (fetched from the database), Patchbay events patch it, and
 * every edit shows at once and is settled by the server's reply — kept (newer version), or rolled
 * back with the reason. Edits run one after another in the order made (one mutation scope per
 * list), so offline edits apply in order once the page is back.
 */
export function useTodoList(listId: string, initial: Todo[], user: string) {
  const queryClient = useQueryClient();
  const key = useMemo(() => listKey(listId), [listId]);
  const channel = listChannel(listId);
  const [problem, setProblem] = useState<string>();

  const query = useQuery({
    queryKey: key,
    queryFn: async () => {
      const startedAt = performance.now();
      const todos = await fetchList(listId);
      return reconcile(queryClient.getQueryData(key), todos, startedAt);
    },
    initialData: (): ListData => ({ todos: initial, deleted: {}, touched: {} }),
  });

  usePatchOnEvent(channel, 'todo.upserted', key, (current: ListData | undefined, message) =>
    mergeTodo(current, message.data),
  );
  usePatchOnEvent(channel, 'todo.deleted', key, (current: ListData | undefined, message) =>
    applyDelete(current, message.data),
  );

  // Writes committed between the server render and the subscription reach no event handler:
  // once the channel is attached, read the list again.
  const live = useChannel(channel);
  useEffect(() => {
    let active = true;
    live.ready().then(
      () => {
        if (active) void queryClient.invalidateQueries({ queryKey: key });
      },
      () => {},
    );
    return () => {
      active = false;
    };
  }, [live, queryClient, key]);

  const scope = { id: `todos-${listId}` };
  const set = (update: (data: ListData | undefined) => ListData) =>
    queryClient.setQueryData<ListData>(key, update);
  const refused = (error: Error) => {
    if (error instanceof Refusal) setProblem(error.message);
    else setProblem(`Could not save: ${error.message}`);
  };
  const find = (id: string): ListTodo | undefined =>
    queryClient.getQueryData<ListData>(key)?.todos.find((t) => t.id === id);

  const create = useMutation({
    ...mutationDefaults,
    scope,
    mutationFn: async (input: { id: string; title: string }) =>
      unwrap(await createTodo(listId, input)),
    onMutate: (input) => {
      setProblem(undefined);
      set((data) =>
        addLocal(data, {
          ...input,
          listId,
          done: false,
          version: 0,
          seq: Number.MAX_SAFE_INTEGER,
          updatedAt: new Date().toISOString(),
          updatedBy: user,
          pending: true,
        }),
      );
    },
    onSuccess: (todo) => set((data) => mergeTodo(data, todo)),
    onError: (error, input) => {
      refused(error);
      set((data) => restore(data, undefined, input.id));
    },
  });

  const update = useMutation({
    ...mutationDefaults,
    scope,
    mutationFn: async (input: { id: string; title?: string; done?: boolean }) =>
      unwrap(await updateTodo(input)),
    onMutate: ({ id, ...change }) => {
      setProblem(undefined);
      const previous = find(id);
      set((data) => applyLocal(data, id, change));
      return { previous };
    },
    onSuccess: (todo) => set((data) => mergeTodo(data, todo)),
    onError: (error, input, context) => {
      refused(error);
      if (error instanceof Refusal && error.code === 'not_found') {
        set((data) => applyDelete(data, { id: input.id, version: DELETING }));
        return;
      }
      set((data) => restore(data, context?.previous, input.id));
    },
  });

  const remove = useMutation({
    ...mutationDefaults,
    scope,
    mutationFn: async (input: { id: string }) => {
      const result = await deleteTodo(input);
      // Already gone is what a delete wants.
      if (!result.ok && result.code === 'not_found') return undefined;
      return unwrap(result);
    },
    onMutate: ({ id }) => {
      setProblem(undefined);
      const previous = find(id);
      set((data) => applyDelete(data, { id, version: DELETING }));
      return { previous };
    },
    onError: (error, input, context) => {
      refused(error);
      set((data) => restore(data, context?.previous, input.id));
    },
  });

  return {
    todos: query.data.todos,
    problem,
    create: (title: string) => create.mutate({ id: crypto.randomUUID(), title }),
    rename: (id: string, title: string) => update.mutate({ id, title }),
    toggle: (id: string, done: boolean) => update.mutate({ id, done }),
    remove: (id: string) => remove.mutate({ id }),
  };
}
