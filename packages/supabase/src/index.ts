export type { SupabaseEnvelope } from './internal/envelope.js';
export type { PresenceMeta as SupabasePresenceMeta } from './internal/presence.js';
export type {
  RealtimeClientConstructor,
  SupabaseClientOptions,
  SupabaseTransportOptions,
} from './supabaseTransport.js';
export { DEFAULT_MAX_MESSAGE_BYTES, supabaseTransport } from './supabaseTransport.js';
