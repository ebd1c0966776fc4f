import { describeTransportConformance } from '@patchbay/realtime-testkit';
import { createSseHarness } from './sseHarness.js';

describeTransportConformance('sse (Node handler)', createSseHarness({ mount: 'node' }));
describeTransportConformance(
  'sse (web-standard handler, as a Next.js route handler runs it)',
  createSseHarness({ mount: 'fetch' }),
);
