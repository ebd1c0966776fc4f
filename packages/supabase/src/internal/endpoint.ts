/**
 * The Realtime WebSocket endpoint for a project URL, as supabase-js derives it:
 * `https://<ref>.supabase.co` → `wss://<ref>.supabase.co/realtime/v1`.
 */
export function realtimeEndpoint(url: string): string {
  const parsed = new URL(url);
  parsed.protocol = parsed.protocol.replace(/^http/, 'ws');
  if (!/\/realtime\/v1\/?$/.test(parsed.pathname)) {
    parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/realtime/v1`;
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** The REST broadcast endpoint (`POST …/realtime/v1/api/broadcast`) for a project or Realtime URL. */
export function broadcastEndpoint(url: string): string {
  const parsed = new URL(realtimeEndpoint(url));
  parsed.protocol = parsed.protocol.replace(/^ws/, 'http');
  return `${parsed.toString().replace(/\/+$/, '')}/api/broadcast`;
}
