import { ablyTokenHandler } from '@/server/vendors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return ablyTokenHandler()(request);
}

export function POST(request: Request): Promise<Response> {
  return ablyTokenHandler()(request);
}
