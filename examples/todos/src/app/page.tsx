import { headers } from 'next/headers';
import { RealtimeRoot } from '@/components/RealtimeRoot';
import { TodoApp } from '@/components/TodoApp';
import { getTodoStore } from '@/db';
import { currentUser } from '@/server/identity';
import { DEFAULT_LIST, listIdSchema } from '@/shared/todos';
import { validName } from '@/shared/user';
import { realtimeConfig } from '../../realtime.config';

// The list is read from the database on every request.
export const dynamic = 'force-dynamic';

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const list = listIdSchema.safeParse(params.list ?? DEFAULT_LIST);
  if (!list.success) {
    return <p role="alert">"list" {list.error.issues[0]?.message}.</p>;
  }
  const requested = typeof params.user === 'string' ? params.user : undefined;
  const user = validName(requested)
    ? requested
    : ((await currentUser()) ?? `guest-${crypto.randomUUID().slice(0, 6)}`);
  const todos = await (await getTodoStore()).list(list.data);
  return (
    <RealtimeRoot config={realtimeConfig(await appOrigin())} user={user}>
      <TodoApp listId={list.data} initial={todos} user={user} />
    </RealtimeRoot>
  );
}

/** This app's own URL as the browser reaches it (the SSE hub and auth endpoints live here). */
async function appOrigin(): Promise<string> {
  if (process.env.PATCHBAY_APP_URL) return process.env.PATCHBAY_APP_URL;
  const request = await headers();
  const host = request.get('x-forwarded-host') ?? request.get('host') ?? '127.0.0.1:3000';
  const protocol = request.get('x-forwarded-proto') ?? 'http';
  return `${protocol}://${host}`;
}
