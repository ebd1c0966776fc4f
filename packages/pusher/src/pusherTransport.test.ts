import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createPusherHarness } from './testHarness.js';

// The real pusher-js client and the real pusher SDK against the Pusher emulator over loopback.
// Publishes go through the app's publish endpoint (acknowledged, verified identity): the setup
// the README recommends. Client-event publishing is covered in pusherClientEvents.test.ts.
describeTransportConformance('pusher', createPusherHarness({ publish: 'endpoint' }));
