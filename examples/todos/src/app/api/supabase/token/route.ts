import { supabaseTokenHandler } from '@/server/vendors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return supabaseTokenHandler(request);
}
