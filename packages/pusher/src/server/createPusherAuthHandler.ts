import { HttpProblem, jsonResponse, problemResponse } from '@patchbay/realtime-core/http';
import type Pusher from 'pusher';
import { MESSAGE_PREFIX, PRESENCE_PREFIX, type PresenceUserInfo } from '../internal/envelope.js';
import {
  allow,
  identify,
  type PusherAuthenticate,
  type PusherAuthorize,
  requirePortable,
  requirePost,
} from '../internal/serverHttp.js';

export interface PusherAuthHandlerOptions {
  /** A `pusher` SDK instance with your app's credentials; it signs every answer. */
  pusher: Pick<Pusher, 'authorizeChannel' | 'authenticateUser'>;
  /** Turn the client's token (`Authorization: Bearer …`) into an identity, or `null` to refuse. */
  authenticate: PusherAuthenticate;
  /** Per-channel permission (`subscribe` for messages, `presence` for members). Default: allow. */
  authorize?: PusherAuthorize;
  /** Largest presence data accepted, in bytes of JSON. Default 1 000 (Pusher caps user_info at 1 KB). */
  maxPresenceDataBytes?: number;
}

/**
 * The endpoint `pusherTransport({ authEndpoint })` calls: user sign-in (`socket_id` only) and
 * channel authorization (`socket_id` + `channel_name`), signed with the `pusher` SDK. Identity
 * comes from your `authenticate`, never from the request body, so a client cannot claim to be
 * someone else in presence or in published messages.
 *
 * Presence members are per connection (`user_id` = `<userId>#<socket_id>`) with the real user in
 * `user_info.clientId`: Pusher folds connections by user_id, Patchbay folds them by clientId so it
 * can count a user's connections. Mount it as a web-standard route handler (Next.js, Hono, …).
 */
export function createPusherAuthHandler(
  options: PusherAuthHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxPresenceBytes = options.maxPresenceDataBytes ?? 1_000;
  return async (request) => {
    try {
      requirePost(request);
      const form = new URLSearchParams(await request.text());
      const socketId = form.get('socket_id') ?? '';
      if (!/^\d+\.\d+$/.test(socketId)) {
        throw new HttpProblem(
          400,
          'bad_request',
          '"socket_id" must look like "123.456" (sent by pusher-js).',
        );
      }
      const identity = await identify(options.authenticate, request);
      const channelName = form.get('channel_name');
      if (channelName === null) {
        const userData = {
          id: identity.userId,
          ...(identity.userInfo ? { user_info: identity.userInfo } : {}),
        };
        return jsonResponse(200, options.pusher.authenticateUser(socketId, userData));
      }
      if (channelName.startsWith(MESSAGE_PREFIX) && !channelName.startsWith('private-encrypted-')) {
        const channel = requirePortable(channelName.slice(MESSAGE_PREFIX.length), 'channel_name');
        await allow(options.authorize, {
          userId: identity.userId,
          channel,
          action: 'subscribe',
          request,
        });
        return jsonResponse(200, options.pusher.authorizeChannel(socketId, channelName));
      }
      if (channelName.startsWith(PRESENCE_PREFIX)) {
        const channel = requirePortable(channelName.slice(PRESENCE_PREFIX.length), 'channel_name');
        await allow(options.authorize, {
          userId: identity.userId,
          channel,
          action: 'presence',
          request,
        });
        const raw = form.get('presence_data');
        if (raw !== null && new TextEncoder().encode(raw).length > maxPresenceBytes) {
          throw new HttpProblem(
            413,
            'too_large',
            `Presence data is limited to ${maxPresenceBytes} bytes on Pusher; keep presence small and fetch details separately.`,
          );
        }
        const info: PresenceUserInfo & { user?: Record<string, unknown> } = {
          clientId: identity.userId,
          entered: raw !== null,
          data: raw === null ? null : parsePresenceData(raw),
          ...(identity.userInfo ? { user: identity.userInfo } : {}),
        };
        return jsonResponse(
          200,
          options.pusher.authorizeChannel(socketId, channelName, {
            user_id: `${identity.userId}#${socketId}`,
            user_info: info,
          }),
        );
      }
      throw new HttpProblem(
        400,
        'bad_request',
        `"channel_name" must start with "private-" or "presence-"; got ${JSON.stringify(channelName)}.`,
      );
    } catch (error) {
      return problemResponse(error);
    }
  };
}

function parsePresenceData(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpProblem(400, 'bad_request', '"presence_data" must be JSON.');
  }
}
