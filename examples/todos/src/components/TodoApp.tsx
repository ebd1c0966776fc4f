'use client';

import type { PresenceMember } from '@patchbay/realtime-core';
import { useChannelState, usePresence } from '@patchbay/realtime-react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { listChannel, type Todo, type Viewer } from '@/shared/todos';
import { ConnectionBanner } from './ConnectionBanner';
import type { ListTodo } from './todoCache';
import { useTodoList } from './useTodoList';

export function TodoApp({
  listId,
  initial,
  user,
}: {
  listId: string;
  initial: Todo[];
  user: string;
}) {
  const list = useTodoList(listId, initial, user);
  const channel = listChannel(listId);
  const [editing, setEditing] = useState<string | null>(null);
  // Who is viewing, and which todo each of them is editing (presence data, typed and validated).
  const { members, others } = usePresence(channel, { name: user, editing });
  const { error: channelError } = useChannelState(channel);
  const [draft, setDraft] = useState('');

  const add = (event: FormEvent) => {
    event.preventDefault();
    const title = draft.trim();
    if (!title) return;
    list.create(title);
    setDraft('');
  };

  return (
    <>
      <ConnectionBanner />
      <main className="todos">
        <section>
          <h1>Todos</h1>
          <form onSubmit={add} className="new-todo">
            <input
              aria-label="New todo"
              data-testid="new-todo"
              value={draft}
              maxLength={200}
              onChange={(event) => setDraft(event.target.value)}
              placeholder="What needs doing?"
            />
            <button type="submit">Add</button>
          </form>
          <ul data-testid="todo-list">
            {list.todos.map((todo) => (
              <TodoItem
                key={todo.id}
                todo={todo}
                editors={others.filter((member) => member.data?.editing === todo.id)}
                onRename={(title) => list.rename(todo.id, title)}
                onToggle={(done) => list.toggle(todo.id, done)}
                onDelete={() => list.remove(todo.id)}
                onEditing={(active) =>
                  setEditing((current) => (active ? todo.id : current === todo.id ? null : current))
                }
              />
            ))}
          </ul>
          {(list.problem ?? channelError) && (
            <p role="alert" className="error" data-testid="problem">
              {list.problem ?? channelError?.message}
            </p>
          )}
        </section>
        <aside>
          <h2>Viewing now</h2>
          <ul data-testid="viewers">
            {members.map((member) => (
              <li key={member.clientId}>
                {member.data?.name ?? member.clientId}
                {member.clientId === user ? ' (you)' : ''}
              </li>
            ))}
          </ul>
        </aside>
      </main>
    </>
  );
}

function TodoItem({
  todo,
  editors,
  onRename,
  onToggle,
  onDelete,
  onEditing,
}: {
  todo: ListTodo;
  editors: readonly PresenceMember<Viewer>[];
  onRename(title: string): void;
  onToggle(done: boolean): void;
  onDelete(): void;
  onEditing(active: boolean): void;
}) {
  const [focused, setFocused] = useState(false);
  const [draft, setDraft] = useState(todo.title);
  const cancelled = useRef(false);
  // While the field is not being edited, it shows the latest title (another tab's rename).
  useEffect(() => {
    if (!focused) setDraft(todo.title);
  }, [todo.title, focused]);

  const commit = () => {
    const title = cancelled.current ? '' : draft.trim();
    cancelled.current = false;
    if (title && title !== todo.title) onRename(title);
    else setDraft(todo.title);
  };

  return (
    <li
      data-testid="todo"
      data-id={todo.id}
      data-title={todo.title}
      data-done={todo.done}
      data-pending={todo.pending === true}
      className={todo.done ? 'done' : undefined}
    >
      <input
        type="checkbox"
        aria-label={`Done: ${todo.title}`}
        data-testid="toggle"
        checked={todo.done}
        onChange={(event) => onToggle(event.target.checked)}
      />
      <input
        aria-label={`Title of ${todo.title}`}
        data-testid="title"
        value={draft}
        maxLength={200}
        onChange={(event) => setDraft(event.target.value)}
        onFocus={() => {
          setFocused(true);
          onEditing(true);
        }}
        onBlur={() => {
          setFocused(false);
          onEditing(false);
          commit();
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter') event.currentTarget.blur();
          if (event.key === 'Escape') {
            cancelled.current = true;
            event.currentTarget.blur();
          }
        }}
      />
      <span className="editing" data-testid="editing">
        {editors.length > 0
          ? `${editors.map((m) => m.data?.name ?? m.clientId).join(', ')} editing…`
          : ''}
      </span>
      <button
        type="button"
        aria-label={`Delete ${todo.title}`}
        data-testid="delete"
        onClick={onDelete}
      >
        ×
      </button>
    </li>
  );
}
