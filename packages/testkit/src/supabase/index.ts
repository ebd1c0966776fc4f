/**
 * A local Supabase Realtime emulator for tests and offline development — never a production
 * server. See `createSupabaseEmulator`.
 *
 * @module
 */
export type {
  BrowserLikeWebSocket,
  SupabaseAuthorize,
  SupabaseAuthRejection,
  SupabaseChannelAction,
  SupabaseClaims,
  SupabaseEmulator,
  SupabaseEmulatorClientOptions,
  SupabaseEmulatorOptions,
  SupabaseServicePublishOptions,
} from './createSupabaseEmulator.js';
export { createSupabaseEmulator, DEFAULT_SUPABASE_JWT_SECRET } from './createSupabaseEmulator.js';
