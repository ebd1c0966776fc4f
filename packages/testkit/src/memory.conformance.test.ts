import { describeTransportConformance } from './describeTransportConformance.js';
import { createMemoryHarness } from './memoryHarness.js';

describeTransportConformance('memory', createMemoryHarness());

// The same suite with capabilities declared missing: core must fill the gaps (emulated presence
// update and echo filtering, publish resolving on hand-off) or declare them (discontinuity,
// NotSupportedError), exactly as on providers that lack them.
describeTransportConformance(
  'memory without recovery, history, presence update, echo control or acks',
  createMemoryHarness({
    capabilities: {
      recovery: false,
      history: false,
      presenceUpdate: false,
      echoControl: false,
      publishAck: false,
    },
  }),
);
