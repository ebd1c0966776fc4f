import { inAppHub } from '@/server/hub';

// The hub's SSE endpoints (`GET /patchbay/sse/stream`, `POST /patchbay/sse/{op}`), served by this
// app for `provider: 'sse'`. Streams are long-lived: Node.js runtime, never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return inAppHub().sse(request);
}

export function POST(request: Request): Promise<Response> {
  return inAppHub().sse(request);
}

export function OPTIONS(request: Request): Promise<Response> {
  return inAppHub().sse(request);
}
