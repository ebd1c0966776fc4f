export type {
  SupabasePublishAuthenticate,
  SupabasePublishAuthorize,
  SupabasePublishAuthorizeRequest,
  SupabasePublishHandlerOptions,
  SupabasePublishIdentity,
} from './createSupabasePublishHandler.js';
export { createSupabasePublishHandler } from './createSupabasePublishHandler.js';
export type {
  SupabaseServerPublish,
  SupabaseServerPublishOptions,
} from './publishFromServer.js';
export { publishFromServer } from './publishFromServer.js';
export type { SignSupabaseTokenOptions } from './signSupabaseToken.js';
export { signSupabaseToken } from './signSupabaseToken.js';
export type { SupabaseServerPublisherOptions } from './supabaseServerPublisher.js';
export { supabaseServerPublisher } from './supabaseServerPublisher.js';
