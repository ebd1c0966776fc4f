import { getTodoStore } from '@/db';
import { listIdSchema } from '@/shared/todos';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The list as the database has it now: what TanStack Query fetches and refetches. */
export async function GET(request: Request): Promise<Response> {
  const parsed = listIdSchema.safeParse(new URL(request.url).searchParams.get('list'));
  if (!parsed.success) {
    return Response.json(
      { error: { code: 'invalid_list', message: `"list" ${parsed.error.issues[0]?.message}` } },
      { status: 400 },
    );
  }
  const store = await getTodoStore();
  return Response.json(await store.list(parsed.data), { headers: { 'cache-control': 'no-store' } });
}
