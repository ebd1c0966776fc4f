import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createAblyHarness } from './testHarness.js';

describeTransportConformance('ably', createAblyHarness());
