import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocketServer } from 'ws';
import { EmulatorSocket } from './emulatorSocket.js';
import type { EmulatorSettings } from './joinChannel.js';
import type { Vsn } from './phoenixProtocol.js';
import { connectRefusal } from './refusals.js';
import { verifySupabaseToken } from './supabaseTokens.js';

const WEBSOCKET_PATH = /^(?:\/realtime\/v1|\/socket)\/websocket\/?$/;

/**
 * Admit or refuse a WebSocket upgrade as `RealtimeWeb.UserSocket.connect/3` does: the serializer
 * from `vsn` (Phoenix's default is 1.0.0), the API key from `x-api-key` or `?apikey=`, verified as a
 * JWT of the project. A refusal is a plain HTTP answer with `{ "error": message }`.
 * `register` records the new socket and returns what to call when it closes.
 */
export async function acceptUpgrade(
  settings: EmulatorSettings,
  req: IncomingMessage,
  raw: Socket,
  head: Buffer,
  upgrades: WebSocketServer,
  register: (socket: EmulatorSocket) => () => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (!WEBSOCKET_PATH.test(url.pathname)) return refuseUpgrade(raw, 404, 'Not Found');
  const vsn = url.searchParams.get('vsn') ?? '1.0.0';
  if (vsn !== '1.0.0' && vsn !== '2.0.0') {
    return refuseUpgrade(
      raw,
      403,
      `The client's requested transport version "${vsn}" is not supported`,
    );
  }
  const header = req.headers['x-api-key'];
  const apiToken = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('apikey');
  if (!apiToken) return refuse(raw, connectRefusal('missing_api_key'));
  const check = await verifySupabaseToken(apiToken, settings.secret);
  if (!check.ok) return refuse(raw, connectRefusal(check.refusal));
  // A connect refused by a test reads like a key signed with a secret the project no longer has.
  if (settings.hub.refused('connect', check.claims)) {
    return refuse(raw, connectRefusal({ reason: 'signature_error' }));
  }
  upgrades.handleUpgrade(req, raw, head, (ws) => {
    let unregister = () => {};
    const session = new EmulatorSocket(ws, settings, vsn as Vsn, check.claims, apiToken, () =>
      unregister(),
    );
    unregister = register(session);
  });
}

function refuse(raw: Socket, refusal: { status: number; error: string }): void {
  refuseUpgrade(raw, refusal.status, refusal.error);
}

function refuseUpgrade(raw: Socket, status: number, error: string): void {
  const text = JSON.stringify({ error });
  raw.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      'connection: close\r\n\r\n' +
      text,
  );
}
