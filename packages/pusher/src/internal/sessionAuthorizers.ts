import type { RealtimeError } from '@patchbay/realtime-core';
import type { ChannelAuthorizationHandler, UserAuthenticationHandler } from 'pusher-js';
import { callEndpoint, type FetchLike } from './endpointRequest.js';
import { PRESENCE_PREFIX } from './envelope.js';
import type { PusherSession } from './pusherSession.js';

export interface AuthorizerContext {
  fetch: FetchLike;
  authEndpoint: string;
  token: string | undefined;
  /** The session, once created (pusher-js is constructed with these handlers before it exists). */
  session(): PusherSession | undefined;
  /** Sign-in failures reach the pending `connect()` through here. */
  onSigninError(error: RealtimeError): void;
}

/**
 * pusher-js `customHandler`s that ask the app's auth endpoint, sending core's token as a Bearer
 * header. Presence subscriptions carry the data to enter with (`presence_data`); a watcher sends
 * none, and the endpoint marks it as not entered.
 */
export function createAuthorizers(context: AuthorizerContext): {
  channel: ChannelAuthorizationHandler;
  user: UserAuthenticationHandler;
} {
  return {
    channel: ({ socketId, channelName }, callback) => {
      const body = new URLSearchParams({ socket_id: socketId, channel_name: channelName });
      const session = context.session();
      if (channelName.startsWith(PRESENCE_PREFIX)) {
        const portable = channelName.slice(PRESENCE_PREFIX.length);
        if (session?.presenceData.has(portable)) {
          body.set('presence_data', JSON.stringify(session.presenceData.get(portable) ?? null));
        }
      }
      callEndpoint({
        fetch: context.fetch,
        url: context.authEndpoint,
        token: context.token,
        body,
        what: `authorization of ${channelName}`,
      }).then(
        (data) => callback(null, data as { auth: string; channel_data?: string }),
        (error: RealtimeError) => {
          session?.authErrors.set(channelName, error);
          callback(error, null);
        },
      );
    },
    user: ({ socketId }, callback) => {
      callEndpoint({
        fetch: context.fetch,
        url: context.authEndpoint,
        token: context.token,
        body: new URLSearchParams({ socket_id: socketId }),
        what: 'sign-in',
      }).then(
        (data) => callback(null, data as { auth: string; user_data: string }),
        (error: RealtimeError) => {
          context.onSigninError(error);
          callback(error, null);
        },
      );
    },
  };
}
