import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createSocketIOHarness } from './hubHarness.js';

describeTransportConformance(
  'socketio (websocket)',
  createSocketIOHarness({ transports: ['websocket'] }),
);
describeTransportConformance(
  'socketio (polling)',
  createSocketIOHarness({ transports: ['polling'] }),
);
