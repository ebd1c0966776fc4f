import { describe, expect, it } from 'vitest';
import {
  addLocal,
  applyDelete,
  applyLocal,
  DELETING,
  emptyList,
  type ListData,
  mergeTodo,
  reconcile,
  restore,
} from '@/components/todoCache';
import type { Todo } from '@/shared/todos';

let nextSeq = 1;
function todo(title: string, fields: Partial<Todo> = {}): Todo {
  const seq = fields.seq ?? nextSeq++;
  return {
    id: fields.id ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    listId: 'main',
    title,
    done: false,
    version: 1,
    seq,
    updatedAt: new Date(0).toISOString(),
    updatedBy: 'alice',
    ...fields,
  };
}

const titles = (data: ListData) => data.todos.map((t) => `${t.title}@${t.version}`);

describe('the page cache keeps the copy with the highest server version', () => {
  it('applies a newer copy and ignores an older or equal one', () => {
    const milk = todo('milk');
    let data = mergeTodo(emptyList, milk);
    data = mergeTodo(data, { ...milk, title: 'oat milk', version: 3 });
    data = mergeTodo(data, { ...milk, title: 'stale', version: 2 });
    data = mergeTodo(data, { ...milk, title: 'same version', version: 3 });
    expect(titles(data)).toEqual(['oat milk@3']);
  });

  it('a delete beats every earlier copy, also one that arrives after it', () => {
    const milk = todo('milk');
    let data = mergeTodo(emptyList, milk);
    data = applyDelete(data, { id: milk.id, version: 3 });
    data = mergeTodo(data, { ...milk, title: 'late reply', version: 2 });
    expect(titles(data)).toEqual([]);
  });

  it('lists todos in creation order (the server sequence), unconfirmed new ones last', () => {
    const a = todo('a', { seq: 10 });
    const b = todo('b', { seq: 5 });
    let data = addLocal(emptyList, {
      ...todo('new', { seq: Number.MAX_SAFE_INTEGER }),
      pending: true,
    });
    data = mergeTodo(data, a);
    data = mergeTodo(data, b);
    expect(data.todos.map((t) => t.title)).toEqual(['b', 'a', 'new']);
  });

  it('a local edit shows at once; a newer server copy replaces it; a refusal restores the previous copy', () => {
    const milk = todo('milk');
    let data = mergeTodo(emptyList, milk);
    data = applyLocal(data, milk.id, { title: 'mine' });
    expect(data.todos[0]).toMatchObject({ title: 'mine', pending: true });
    data = restore(data, milk, milk.id);
    expect(titles(data)).toEqual(['milk@1']);

    data = applyLocal(data, milk.id, { title: 'mine again' });
    data = mergeTodo(data, { ...milk, title: 'theirs', version: 2 });
    expect(titles(data)).toEqual(['theirs@2']);
    // A refusal arriving after a newer copy does not bring the old one back.
    data = restore(data, milk, milk.id);
    expect(titles(data)).toEqual(['theirs@2']);
  });

  it('a refused delete puts the todo back', () => {
    const milk = todo('milk');
    let data = mergeTodo(emptyList, milk);
    data = applyDelete(data, { id: milk.id, version: DELETING });
    expect(titles(data)).toEqual([]);
    data = restore(data, milk, milk.id);
    expect(titles(data)).toEqual(['milk@1']);
    expect(data.deleted[milk.id]).toBeUndefined();
  });
});

describe('a refetch reconciles instead of replacing', () => {
  it('keeps a todo that arrived by event after the request started', () => {
    const bread = todo('bread');
    const startedAt = performance.now();
    const data = mergeTodo(emptyList, bread);
    // The response was read before bread was committed.
    expect(titles(reconcile(data, [], startedAt))).toEqual(['bread@1']);
  });

  it('keeps the newer of the event copy and the response copy', () => {
    const bread = todo('bread');
    let data = mergeTodo(emptyList, bread);
    const startedAt = performance.now();
    data = mergeTodo(data, { ...bread, title: 'rye', version: 2 });
    expect(titles(reconcile(data, [bread], startedAt))).toEqual(['rye@2']);
    expect(titles(reconcile(data, [{ ...bread, title: 'rye!', version: 3 }], startedAt))).toEqual([
      'rye!@3',
    ]);
  });

  it('drops what the database no longer has when nothing newer was learned', () => {
    const bread = todo('bread');
    const data = mergeTodo(emptyList, bread);
    const startedAt = performance.now();
    expect(titles(reconcile(data, [], startedAt))).toEqual([]);
  });

  it('keeps unconfirmed edits and deletes on top of the response', () => {
    const bread = todo('bread');
    const jam = todo('jam');
    let data = mergeTodo(mergeTodo(emptyList, bread), jam);
    const startedAt = performance.now();
    data = addLocal(data, {
      ...todo('eggs', { seq: Number.MAX_SAFE_INTEGER, version: 0 }),
      pending: true,
    });
    data = applyLocal(data, bread.id, { done: true });
    data = applyDelete(data, { id: jam.id, version: DELETING });
    const result = reconcile(data, [bread, jam], startedAt);
    expect(result.todos.map((t) => `${t.title}|${t.done}|${t.pending === true}`)).toEqual([
      'bread|true|true',
      'eggs|false|true',
    ]);
  });

  it('does not resurrect a todo deleted after the response was read', () => {
    const bread = todo('bread');
    let data = mergeTodo(emptyList, bread);
    const startedAt = performance.now();
    data = applyDelete(data, { id: bread.id, version: 2 });
    expect(titles(reconcile(data, [bread], startedAt))).toEqual([]);
  });
});
