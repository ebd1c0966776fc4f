import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createSupabaseHarness } from './testHarness.js';

// The real @supabase/realtime-js against the Supabase emulator over loopback, on private
// channels (every join, broadcast and presence checked by the emulator's RLS stand-in). Missing
// capabilities are declared (no history, no recovery) and their fallbacks are what the suite
// asserts: NotSupportedError for history, `discontinuity` after every rejoin. Messages are
// broadcast from the socket, and (second run) posted to the app server's
// createSupabasePublishHandler (`publishEndpoint`), which broadcasts them over the REST API.
describeTransportConformance('supabase', createSupabaseHarness());
describeTransportConformance(
  'supabase (publish endpoint)',
  createSupabaseHarness({ publish: 'endpoint' }),
);
