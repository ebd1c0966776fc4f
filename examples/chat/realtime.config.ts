/**
 * The one line that picks the realtime provider for this app. Change it, or override it per run
 * with PATCHBAY_PROVIDER=socketio|sse|pusher|ably|supabase|memory. `pnpm dev` starts whatever the
 * choice needs locally: the Patchbay hub for socketio/sse, the emulators for pusher/ably (unless
 * real credentials are set, see README.md) and for supabase.
 */
export const provider: Provider = 'socketio';

export type Provider = 'socketio' | 'sse' | 'pusher' | 'ably' | 'supabase' | 'memory';
export const providers: readonly Provider[] = [
  'socketio',
  'sse',
  'pusher',
  'ably',
  'supabase',
  'memory',
];
