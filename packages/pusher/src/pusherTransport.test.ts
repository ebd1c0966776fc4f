import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createPusherHarness } from './testHarness.js';

// The real pusher-js client and the real pusher SDK against the Pusher emulator over loopback,
// each client's websocket through its own TCP proxy (so one client's network can be cut).
// Publishes go through the app's publish endpoint (acknowledged, verified identity): the setup
// the README recommends; and as client events (no acks, paced below Pusher's rate limit, raised
// here as Pusher raises it on request, so 100 ordered messages fit in the suite's timeouts; the
// default limit of 10/s is covered in clientEventIdentity.test.ts).
describeTransportConformance(
  'pusher (publish endpoint)',
  createPusherHarness({ publish: 'endpoint' }),
);
describeTransportConformance(
  'pusher (client events)',
  createPusherHarness({ publish: 'client-events', clientEventsPerSecond: 50 }),
);
