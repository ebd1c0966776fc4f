import { isRealtimeError } from '@patchbay/realtime-core';
import type * as Ably from 'ably';
import { type AblyCapability, createTokenRequest } from './createTokenRequest.js';

export interface AblyTokenHandlerOptions {
  /** A server-side `Ably.Rest` created with your API key. */
  rest: Pick<Ably.Rest, 'auth'>;
  /**
   * Who is asking, from your session (cookie, header…): return the user's id and, optionally,
   * the channels they may use. Return `null` to refuse with 401.
   */
  authenticate(
    request: Request,
  ):
    | { clientId: string; capability?: AblyCapability }
    | null
    | Promise<{ clientId: string; capability?: AblyCapability } | null>;
  /** Token lifetime in ms. Default Ably's (60 minutes). */
  ttlMs?: number;
}

/**
 * A web-standard `Request → Response` token endpoint (Next.js route handlers, Remix, Hono,
 * Cloudflare Workers, Deno): answers `GET`/`POST` with a signed TokenRequest for the
 * authenticated user, as ably-js expects from `authUrl`. Refusals and bad input are JSON
 * `{ error: { code, message } }` with a 4xx status, never a token.
 */
export function createAblyTokenHandler(
  options: AblyTokenHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return json(405, 'method_not_allowed', 'Use GET or POST to request an Ably token.', {
        allow: 'GET, POST',
      });
    }
    let identity: Awaited<ReturnType<AblyTokenHandlerOptions['authenticate']>>;
    try {
      identity = await options.authenticate(request);
    } catch (error) {
      return json(
        401,
        'auth_rejected',
        `Not authenticated: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!identity)
      return json(401, 'auth_rejected', 'Not authenticated: sign in, then request a token again.');
    try {
      const tokenRequest = await createTokenRequest({
        rest: options.rest,
        clientId: identity.clientId,
        ...(identity.capability !== undefined ? { capability: identity.capability } : {}),
        ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
      });
      return new Response(JSON.stringify(tokenRequest), {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    } catch (error) {
      if (isRealtimeError(error)) {
        return json(error.code === 'auth_rejected' ? 401 : 400, error.code, error.message);
      }
      return json(502, 'transport_error', `Could not sign an Ably token request: ${String(error)}`);
    }
  };
}

function json(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
