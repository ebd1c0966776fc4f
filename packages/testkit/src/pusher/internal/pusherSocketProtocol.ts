import type { WebSocket } from 'ws';
import { expectedChannelAuth, expectedSigninAuth, safeEqual } from './pusherSignatures.js';
import type { EmulatorSocket, PusherAppState, PusherFrame } from './pusherState.js';

/** What the WebSocket side of the emulator needs from its owner. */
export interface SocketProtocolContext {
  state: PusherAppState;
  key: string;
  secret: string;
  activityTimeoutSeconds: number;
  /** How long the server waits for any frame after its own `pusher:ping` before closing (4201). */
  pongTimeoutMs: number;
  /** `pusher-error`: real Pusher's `pusher:error` with code null; `subscription-error`: soketi's style. */
  subscriptionErrorStyle: 'pusher-error' | 'subscription-error';
  /** Fault injection: refuse this subscription even with a valid signature. */
  refuses(socketId: string, channel: string): boolean;
  nextSocketId(): string;
  maxClientEventBytes: number;
  /** Pusher's per-connection client-event rate limit (token bucket); absent = unlimited. */
  clientEventLimit: { perSecond: number; burst: number } | undefined;
}

/** Speak Pusher protocol 7 on one accepted WebSocket until it closes. */
export function servePusherSocket(context: SocketProtocolContext, ws: WebSocket): EmulatorSocket {
  const { state } = context;
  const socket: EmulatorSocket = {
    id: context.nextSocketId(),
    ws,
    channels: new Map(),
    blackholed: false,
    lastActivity: Date.now(),
  };
  state.sockets.set(socket.id, socket);
  state.send(socket, {
    event: 'pusher:connection_established',
    data: JSON.stringify({
      socket_id: socket.id,
      activity_timeout: context.activityTimeoutSeconds,
    }),
  });

  // Liveness as Pusher does it: ping after a silent activity_timeout, close 4201 without a reply.
  let pingSentAt: number | undefined;
  const checkEvery = Math.max(50, Math.min(1_000, context.pongTimeoutMs / 2));
  const liveness = setInterval(() => {
    const now = Date.now();
    if (pingSentAt !== undefined && socket.lastActivity < pingSentAt) {
      if (now - pingSentAt >= context.pongTimeoutMs) ws.close(4201, 'Pong reply not received');
      return;
    }
    pingSentAt = undefined;
    if (now - socket.lastActivity >= context.activityTimeoutSeconds * 1_000) {
      pingSentAt = now;
      state.send(socket, { event: 'pusher:ping', data: '{}' });
    }
  }, checkEvery);
  liveness.unref();

  ws.on('message', (raw) => {
    if (socket.blackholed) return;
    socket.lastActivity = Date.now();
    let frame: PusherFrame;
    try {
      frame = JSON.parse(String(raw)) as PusherFrame;
    } catch {
      sendError(context, socket, null, 'Invalid JSON frame');
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.event !== 'string') {
      sendError(context, socket, null, 'Frames must be JSON objects with an "event"');
      return;
    }
    handleFrame(context, socket, frame);
  });
  ws.on('close', () => {
    clearInterval(liveness);
    state.remove(socket);
  });
  ws.on('error', () => ws.terminate());
  return socket;
}

function handleFrame(context: SocketProtocolContext, socket: EmulatorSocket, frame: PusherFrame) {
  const data = (
    typeof frame.data === 'string' ? safeParse(frame.data) : (frame.data ?? {})
  ) as Record<string, unknown>;
  switch (frame.event) {
    case 'pusher:ping':
      context.state.send(socket, { event: 'pusher:pong', data: '{}' });
      return;
    case 'pusher:pong':
      return;
    case 'pusher:subscribe':
      subscribe(context, socket, data);
      return;
    case 'pusher:unsubscribe':
      if (typeof data.channel === 'string') context.state.unsubscribe(socket, data.channel);
      return;
    case 'pusher:signin':
      signin(context, socket, data);
      return;
    default:
      if (frame.event.startsWith('client-')) clientEvent(context, socket, frame);
  }
}

function subscribe(
  context: SocketProtocolContext,
  socket: EmulatorSocket,
  data: Record<string, unknown>,
) {
  const { state } = context;
  const channel = data.channel;
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > 200) {
    sendError(context, socket, null, 'Invalid channel name');
    return;
  }
  if (state.isSubscribed(socket, channel)) {
    sendError(context, socket, null, `Existing subscription to channel ${channel}`);
    return;
  }
  const auth = typeof data.auth === 'string' ? data.auth : '';
  const channelData = typeof data.channel_data === 'string' ? data.channel_data : undefined;
  if (channel.startsWith('#server-to-user-')) {
    if (socket.userId !== channel.slice('#server-to-user-'.length)) {
      subscriptionError(context, socket, channel, 'Sign in as that user first', 403);
      return;
    }
  } else if (channel.startsWith('private-') || channel.startsWith('presence-')) {
    const expected = expectedChannelAuth(
      context.key,
      context.secret,
      socket.id,
      channel,
      channelData,
    );
    if (!safeEqual(auth, expected.auth)) {
      const got = auth.split(':')[1] ?? auth;
      subscriptionError(
        context,
        socket,
        channel,
        `Invalid signature: Expected HMAC SHA256 hex digest of ${expected.payload}, but got ${got}`,
        401,
      );
      return;
    }
  }
  if (context.refuses(socket.id, channel)) {
    subscriptionError(context, socket, channel, 'Subscription refused by the emulator', 403);
    return;
  }
  if (channel.startsWith('presence-')) {
    const parsed = safeParse(channelData ?? '') as { user_id?: unknown; user_info?: unknown };
    const userId =
      typeof parsed.user_id === 'string' || typeof parsed.user_id === 'number'
        ? String(parsed.user_id)
        : undefined;
    if (userId === undefined || userId.length === 0 || userId.length > 128) {
      sendError(context, socket, null, 'presence channel_data must carry a user_id (≤128 chars)');
      return;
    }
    if (serialize(parsed.user_info ?? null) === undefined) {
      sendError(context, socket, null, 'presence channel_data user_info is nested too deeply');
      return;
    }
    state.subscribe(socket, channel, { userId, info: parsed.user_info ?? null });
    state.send(socket, {
      event: 'pusher_internal:subscription_succeeded',
      channel,
      data: JSON.stringify({ presence: state.presenceHash(channel) }),
    });
    return;
  }
  state.subscribe(socket, channel);
  state.send(socket, { event: 'pusher_internal:subscription_succeeded', channel, data: '{}' });
}

function signin(
  context: SocketProtocolContext,
  socket: EmulatorSocket,
  data: Record<string, unknown>,
) {
  const auth = typeof data.auth === 'string' ? data.auth : '';
  const userData = typeof data.user_data === 'string' ? data.user_data : '';
  const parsed = safeParse(userData) as { id?: unknown };
  const expected = expectedSigninAuth(context.key, context.secret, socket.id, userData);
  if (!safeEqual(auth, expected) || typeof parsed.id !== 'string' || parsed.id.length === 0) {
    // What soketi does: a fatal 4009 (pusher-js goes `disconnected` and does not retry).
    sendError(context, socket, 4009, 'Invalid signin signature or user_data without an id');
    socket.ws.close(4009, 'Unauthorized');
    return;
  }
  socket.userId = parsed.id;
  context.state.send(socket, {
    event: 'pusher:signin_success',
    data: JSON.stringify({ user_data: userData }),
  });
}

function clientEvent(context: SocketProtocolContext, socket: EmulatorSocket, frame: PusherFrame) {
  const channel = frame.channel;
  if (
    typeof channel !== 'string' ||
    !(channel.startsWith('private-') || channel.startsWith('presence-')) ||
    channel.startsWith('private-encrypted-')
  ) {
    sendError(
      context,
      socket,
      null,
      'Client events are only allowed on private and presence channels',
    );
    return;
  }
  if (!context.state.isSubscribed(socket, channel)) {
    sendError(context, socket, null, `Client event rejected: not subscribed to ${channel}`);
    return;
  }
  const data = typeof frame.data === 'string' ? frame.data : serialize(frame.data ?? null);
  if (data === undefined) {
    sendError(context, socket, null, 'Client event rejected: data is nested too deeply');
    return;
  }
  if (Buffer.byteLength(data) > context.maxClientEventBytes) {
    sendError(context, socket, null, 'Client event rejected: payload too large');
    return;
  }
  if (!takeClientEventToken(context, socket)) {
    // Not fatal: the connection stays up, the event is dropped, as Pusher does.
    sendError(context, socket, 4301, 'Client event rejected due to rate limit');
    return;
  }
  const userId = context.state.presenceUserIdOf(socket, channel);
  // Relayed to everyone else on the channel, never echoed to the sender.
  context.state.broadcast(
    channel,
    { event: frame.event, channel, data, ...(userId !== undefined ? { user_id: userId } : {}) },
    socket,
  );
}

/** Spend one of the socket's client-event tokens; false when the rate limit is reached. */
function takeClientEventToken(context: SocketProtocolContext, socket: EmulatorSocket): boolean {
  const limit = context.clientEventLimit;
  if (!limit) return true;
  const now = Date.now();
  const bucket = socket.clientEventTokens ?? { tokens: limit.burst, at: now };
  bucket.tokens = Math.min(
    limit.burst,
    bucket.tokens + ((now - bucket.at) / 1_000) * limit.perSecond,
  );
  bucket.at = now;
  socket.clientEventTokens = bucket;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

function subscriptionError(
  context: SocketProtocolContext,
  socket: EmulatorSocket,
  channel: string,
  message: string,
  status: number,
) {
  if (context.subscriptionErrorStyle === 'subscription-error') {
    context.state.send(socket, {
      event: 'pusher:subscription_error',
      channel,
      data: JSON.stringify({ type: 'AuthError', error: message, status }),
    });
  } else {
    sendError(context, socket, null, message);
  }
}

function sendError(
  context: SocketProtocolContext,
  socket: EmulatorSocket,
  code: number | null,
  message: string,
) {
  context.state.send(socket, { event: 'pusher:error', data: JSON.stringify({ code, message }) });
}

/** JSON text of a parsed value, or undefined when it is nested deeper than JSON.stringify can go. */
function serialize(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function safeParse(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}
