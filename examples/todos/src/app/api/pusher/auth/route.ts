import { pusherAuthHandler } from '@/server/vendors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return pusherAuthHandler()(request);
}
