import { isDeepStrictEqual } from 'node:util';
import { meta, presenceRef, type Subscription } from './emulatorHub.js';
import type { EmulatorSocket } from './emulatorSocket.js';
import { allowed, type EmulatorSettings, isRecord } from './joinChannel.js';
import { isUserBroadcastPush, type PhoenixMessage, replyMessage } from './phoenixProtocol.js';
import { refreshRefusalMessage, unauthorizedTopic } from './refusals.js';
import { verifySupabaseToken } from './supabaseTokens.js';

/** `handle_in/3` of a joined channel: broadcast, presence and access_token; anything else is ignored. */
export async function handleChannelMessage(
  settings: EmulatorSettings,
  socket: EmulatorSocket,
  sub: Subscription,
  message: PhoenixMessage,
): Promise<void> {
  switch (message.event) {
    case 'broadcast':
      return broadcast(settings, socket, sub, message);
    case 'presence':
      return presence(settings, socket, sub, message);
    case 'access_token':
      return refreshToken(settings, socket, sub, message);
    default:
      // Supabase logs unexpected events and sends nothing back.
      return;
  }
}

async function broadcast(
  settings: EmulatorSettings,
  socket: EmulatorSocket,
  sub: Subscription,
  message: PhoenixMessage,
): Promise<void> {
  if (sub.private) {
    sub.policies['broadcast.write'] ??= await allowed(
      settings,
      sub.claims,
      sub.subTopic,
      'broadcast.write',
    );
    // Refused writes are dropped without a reply, so an `ack: true` sender times out.
    if (!sub.policies['broadcast.write']) return;
  }
  const from = sub.self ? undefined : sub;
  if (isUserBroadcastPush(message)) {
    settings.hub.broadcast(
      sub.subTopic,
      sub.private,
      {
        kind: 'user',
        event: message.userEvent,
        encoding: message.encoding,
        bytes: message.userPayload,
      },
      from,
    );
  } else if (isRecord(message.payload)) {
    settings.hub.broadcast(
      sub.subTopic,
      sub.private,
      { kind: 'json', payload: message.payload },
      from,
    );
  } else {
    return;
  }
  if (sub.ack) socket.send(replyMessage(message, 'ok'));
}

async function presence(
  settings: EmulatorSettings,
  socket: EmulatorSocket,
  sub: Subscription,
  message: PhoenixMessage,
): Promise<void> {
  const payload = isRecord(message.payload) ? message.payload : {};
  if (typeof payload.event !== 'string') {
    socket.send(replyMessage(message, 'ok'));
    return;
  }
  if (!withinPresenceRate(settings, sub)) {
    socket.shutdownChannel(sub, 'Client presence rate limit exceeded');
    return;
  }
  const event = payload.event.toLowerCase();
  if (event === 'untrack') {
    if (sub.presence) {
      const left = sub.presence;
      sub.presence = undefined;
      settings.hub.presenceDiff(sub, {}, { [sub.presenceKey]: { metas: [meta(left)] } });
    }
    socket.send(replyMessage(message, 'ok'));
    return;
  }
  if (event !== 'track') {
    socket.send(replyMessage(message, 'error'));
    return;
  }
  if (sub.private && sub.policies['presence.write'] === undefined) {
    sub.policies['presence.read'] ??= await allowed(
      settings,
      sub.claims,
      sub.subTopic,
      'presence.read',
    );
    sub.policies['presence.write'] = await allowed(
      settings,
      sub.claims,
      sub.subTopic,
      'presence.write',
    );
  }
  if (sub.private && !sub.policies['presence.write']) {
    socket.send(replyMessage(message, 'error'));
    return;
  }
  const tracked = payload.payload ?? {};
  if (!isRecord(tracked)) {
    socket.send(replyMessage(message, 'error', { reason: 'Presence track payload must be a map' }));
    return;
  }
  sub.presenceEnabled = true;
  const previous = sub.presence;
  if (previous && isDeepStrictEqual(previous.payload, tracked)) {
    socket.send(replyMessage(message, 'ok'));
    return;
  }
  const current = { ref: presenceRef(), payload: tracked };
  sub.presence = current;
  // An update is one diff: the new meta joins (with phx_ref_prev) and the old one leaves.
  settings.hub.presenceDiff(
    sub,
    { [sub.presenceKey]: { metas: [meta(current, previous?.ref)] } },
    previous ? { [sub.presenceKey]: { metas: [meta(previous)] } } : {},
  );
  socket.send(replyMessage(message, 'ok'));
}

/** Supabase's per-channel client presence limit: `maxCalls` per window, then the channel closes. */
function withinPresenceRate(settings: EmulatorSettings, sub: Subscription): boolean {
  const limit = settings.presenceRateLimit;
  if (!limit) return true;
  const now = Date.now();
  if (now > sub.presenceCalls.resetAt) {
    sub.presenceCalls = { count: 1, resetAt: now + limit.windowMs };
    return true;
  }
  if (sub.presenceCalls.count >= limit.maxCalls) return false;
  sub.presenceCalls.count += 1;
  return true;
}

/** `access_token`: a new token is verified and read policies re-evaluated; never a reply. */
async function refreshToken(
  settings: EmulatorSettings,
  socket: EmulatorSocket,
  sub: Subscription,
  message: PhoenixMessage,
): Promise<void> {
  const payload = isRecord(message.payload) ? message.payload : {};
  const token = payload.access_token;
  if (typeof token !== 'string' || token.startsWith('sb_') || token === sub.token) return;
  const check = await verifySupabaseToken(token, settings.secret);
  if (!check.ok) {
    socket.shutdownChannel(sub, refreshRefusalMessage(check.refusal));
    return;
  }
  const previous = sub.policies;
  sub.token = token;
  sub.claims = check.claims;
  sub.policies = {};
  if (sub.private) {
    sub.policies['broadcast.read'] = await allowed(
      settings,
      check.claims,
      sub.subTopic,
      'broadcast.read',
    );
    if (sub.presenceEnabled) {
      sub.policies['presence.read'] = await allowed(
        settings,
        check.claims,
        sub.subTopic,
        'presence.read',
      );
    }
    if (!sub.policies['broadcast.read'] && !sub.policies['presence.read']) {
      socket.shutdownChannel(sub, unauthorizedTopic(sub.subTopic));
      return;
    }
    const revoked = (action: 'broadcast.read' | 'presence.read') =>
      previous[action] === true && sub.policies[action] === false;
    if (revoked('broadcast.read') || revoked('presence.read')) {
      socket.shutdownChannel(
        sub,
        `You no longer have permission to read from this Channel topic: ${sub.subTopic}`,
      );
      return;
    }
  }
  socket.scheduleTokenCheck(sub);
}
