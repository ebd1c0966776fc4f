import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { authTests } from './conformance/auth.js';
import { blipTests } from './conformance/blip.js';
import { capabilityTests } from './conformance/capabilities.js';
import { channelNameTests } from './conformance/channelNames.js';
import { channelTests } from './conformance/channels.js';
import { connectionTests } from './conformance/connection.js';
import { deliveryTests } from './conformance/delivery.js';
import { echoTests } from './conformance/echo.js';
import { presenceTests } from './conformance/presence.js';
import { publishTests } from './conformance/publish.js';
import { queueTests } from './conformance/queue.js';
import { reconnectTests } from './conformance/reconnect.js';
import { recoveryTests } from './conformance/recovery.js';
import { refusedAttachTests } from './conformance/refusedAttach.js';
import { schemaTests } from './conformance/schemas.js';
import { typingTests } from './conformance/typing.js';
import type { ConformanceHarness } from './harness.js';
import { SuiteContext } from './internal/context.js';

/**
 * The behaviour contract as a test suite. Every transport package runs it against its real
 * counterpart over loopback; a transport is Patchbay-compatible when it passes. Capabilities a
 * provider lacks are not skipped: their tests assert the declared fallback (emulation,
 * `discontinuity`, `NotSupportedError`).
 *
 * ```ts
 * describeTransportConformance('socketio', createHubHarness());
 * ```
 */
export function describeTransportConformance(name: string, harness: ConformanceHarness): void {
  describe(`${name}: transport conformance`, () => {
    const ctx = new SuiteContext(harness);
    beforeAll(async () => {
      await harness.setup?.();
    });
    afterEach(async () => {
      await ctx.cleanup();
    });
    afterAll(async () => {
      await harness.teardown?.();
    });

    describe('connection states and errors', () => connectionTests(ctx));
    describe('reconnect and backoff', () => reconnectTests(ctx));
    describe('ref-counted channels and resubscribe', () => channelTests(ctx));
    describe('refused subscribes', () => refusedAttachTests(ctx));
    describe('publish: ack, NACK and timeout', () => publishTests(ctx));
    describe('offline queue', () => queueTests(ctx));
    describe('delivery: envelope, dedupe and order', () => deliveryTests(ctx));
    describe('recovery or discontinuity', () => recoveryTests(ctx));
    describe('a short network loss', () => blipTests(ctx));
    describe('echo', () => echoTests(ctx));
    describe('presence', () => presenceTests(ctx));
    describe('typing', () => typingTests(ctx));
    describe('schemas', () => schemaTests(ctx));
    describe('auth', () => authTests(ctx));
    describe('capabilities', () => capabilityTests(ctx));
    describe('channel names', () => channelNameTests(ctx));
  });
}
