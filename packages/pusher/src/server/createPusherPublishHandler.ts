import type Pusher from 'pusher';
import {
  allow,
  HttpProblem,
  identify,
  json,
  type PusherAuthenticate,
  type PusherAuthorize,
  problemResponse,
  requirePortable,
  requirePost,
} from '../internal/serverHttp.js';
import { publishFromServer } from './publishFromServer.js';

export interface PusherPublishHandlerOptions {
  /** A `pusher` SDK instance with your app's credentials. */
  pusher: Pick<Pusher, 'trigger'>;
  /** Turn the client's token (`Authorization: Bearer …`) into an identity, or `null` to refuse. */
  authenticate: PusherAuthenticate;
  /** Per-channel permission (`publish`). Default: allow. */
  authorize?: PusherAuthorize;
  /** Largest `data` accepted, in bytes of JSON. Default 9 216 (Pusher's 10 KB minus the envelope). */
  maxDataBytes?: number;
}

interface PublishBody {
  channel?: unknown;
  event?: unknown;
  data?: unknown;
  id?: unknown;
  socketId?: unknown;
}

/**
 * The endpoint `pusherTransport({ publishEndpoint })` posts to. It authenticates the caller,
 * checks `authorize`, and triggers through the `pusher` SDK, so a publish resolves only once Pusher
 * accepted it (a real ack), carries the caller's authenticated clientId, and a refusal comes back
 * to the publisher as a typed error. Answers `200 { id, timestamp }`, or a 4xx JSON error.
 */
export function createPusherPublishHandler(
  options: PusherPublishHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBytes = options.maxDataBytes ?? 9_216;
  return async (request) => {
    try {
      requirePost(request);
      let body: PublishBody;
      try {
        body = (await request.json()) as PublishBody;
      } catch {
        throw new HttpProblem(
          400,
          'bad_request',
          'The body must be JSON: { channel, event, data, id }.',
        );
      }
      if (typeof body !== 'object' || body === null) {
        throw new HttpProblem(
          400,
          'bad_request',
          'The body must be a JSON object: { channel, event, data, id }.',
        );
      }
      const identity = await identify(options.authenticate, request);
      const channel = requirePortable(body.channel, 'channel');
      if (typeof body.event !== 'string' || body.event.length === 0 || body.event.length > 200) {
        throw new HttpProblem(400, 'bad_request', '"event" must be a string of 1–200 characters.');
      }
      if (
        body.id !== undefined &&
        (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 200)
      ) {
        throw new HttpProblem(
          400,
          'bad_request',
          '"id" must be a string of 1–200 characters when given.',
        );
      }
      if (
        body.socketId !== undefined &&
        (typeof body.socketId !== 'string' || !/^\d+\.\d+$/.test(body.socketId))
      ) {
        throw new HttpProblem(
          400,
          'bad_request',
          '"socketId" must look like "123.456" when given.',
        );
      }
      const size = new TextEncoder().encode(JSON.stringify(body.data ?? null)).length;
      if (size > maxBytes) {
        throw new HttpProblem(
          413,
          'too_large',
          `"data" is ${size} bytes; Pusher accepts at most ${maxBytes}. Send a reference instead.`,
        );
      }
      await allow(options.authorize, {
        userId: identity.userId,
        channel,
        action: 'publish',
        request,
      });
      try {
        const envelope = await publishFromServer(options.pusher, {
          channel,
          event: body.event,
          data: body.data ?? null,
          clientId: identity.userId,
          ...(typeof body.id === 'string' ? { id: body.id } : {}),
          ...(typeof body.socketId === 'string' ? { excludeSocketId: body.socketId } : {}),
        });
        return json(200, { id: envelope.id, timestamp: envelope.timestamp });
      } catch (error) {
        const status = (error as { status?: number }).status;
        throw new HttpProblem(
          502,
          'provider_rejected',
          `Pusher refused the trigger${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}. Check the pusher SDK credentials and host.`,
        );
      }
    } catch (error) {
      return problemResponse(error);
    }
  };
}
