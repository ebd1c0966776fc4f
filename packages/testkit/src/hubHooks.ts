import { createAuthRules } from './authRules.js';
import type { ConformanceHarness } from './harness.js';
import { createSubscribeRefusals } from './subscribeRefusals.js';

/** The harness methods the hooks below answer. */
export type HubHookControls = Pick<
  ConformanceHarness,
  'rejectAuth' | 'refuseSubscribes' | 'subscribeAttempts'
>;

/**
 * The hub's `authenticate` and `authorize` hooks for a conformance harness over the self-hosted
 * hub (Socket.IO, SSE), and the harness methods that steer them. A token names its user
 * (`user.v1` → `user`); without one the clientId does. Refused subscribes throw from
 * `authorize`, as a hook whose database is down would: the hub answers a retryable
 * `transport_error` and the link stays up.
 */
export function createHubHooks(): {
  authenticate(input: { token?: string | undefined; clientId?: string | undefined }): {
    clientId: string;
  } | null;
  authorize(input: { clientId: string; channel: string; action: string }): boolean;
  controls: HubHookControls;
} {
  const rules = createAuthRules();
  const refusals = createSubscribeRefusals();
  return {
    authenticate: ({ token, clientId }) => {
      const id = token ? (token.split('.')[0] ?? token) : clientId;
      if (!id || rules.rejects(id, undefined, 'connect')) return null;
      return { clientId: id };
    },
    authorize: ({ clientId, channel, action }) => {
      if (action === 'subscribe' && refusals.refuse(channel)) {
        throw new Error('the permissions store is unavailable (refuseSubscribes)');
      }
      return !rules.rejects(clientId, channel, action);
    },
    controls: {
      rejectAuth: (rule) => rules.add(rule),
      refuseSubscribes: (channel, times) => refusals.set(channel, times),
      subscribeAttempts: async (channel) => refusals.attempts(channel),
    },
  };
}
