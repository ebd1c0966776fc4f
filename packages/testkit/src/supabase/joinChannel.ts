import { randomUUID } from 'node:crypto';
import type { EmulatorHub, StoredMessage, Subscription, SupabaseAuthorize } from './emulatorHub.js';
import type { PhoenixMessage } from './phoenixProtocol.js';
import { joinRefusalReason, PROJECT_UNAVAILABLE, unauthorizedTopic } from './refusals.js';
import { type SupabaseClaims, verifySupabaseToken } from './supabaseTokens.js';

/** What channel handling needs from the emulator. */
export interface EmulatorSettings {
  hub: EmulatorHub;
  secret: Uint8Array;
  authorize: SupabaseAuthorize;
  privateOnly: boolean;
  /** Presence messages allowed per channel per window; false turns the limit off. */
  presenceRateLimit: { maxCalls: number; windowMs: number } | false;
}

export type JoinOutcome =
  | { ok: true; sub: Subscription; postgresChanges: unknown[]; replay: StoredMessage[] }
  | { ok: false; reason: string };

interface JoinConfig {
  broadcast?: { self?: unknown; ack?: unknown; replay?: { since?: unknown; limit?: unknown } };
  presence?: { key?: unknown; enabled?: unknown };
  postgres_changes?: unknown;
  private?: unknown;
}

/**
 * Check a `phx_join` in the order `RealtimeWeb.RealtimeChannel.join/3` does (topic name, private
 * only, token, read policies, replay) and build the subscription, or say why not in Supabase's
 * words. The caller adds it to the hub and replies.
 */
export async function joinChannel(
  settings: EmulatorSettings,
  socket: Subscription['socket'],
  apiToken: string,
  message: PhoenixMessage,
): Promise<JoinOutcome> {
  const subTopic = message.topic.slice('realtime:'.length);
  if (subTopic === '') return refuse('TopicNameRequired: You must provide a topic name');
  const joins = settings.hub.joins.get(subTopic) ?? { seen: 0, refuse: 0 };
  settings.hub.joins.set(subTopic, joins);
  joins.seen++;
  if (joins.refuse > 0) {
    joins.refuse--;
    return refuse(PROJECT_UNAVAILABLE);
  }
  const params = isRecord(message.payload) ? message.payload : {};
  const config: JoinConfig = isRecord(params.config) ? (params.config as JoinConfig) : {};
  const isPrivate = flag(config.private);
  const presenceEnabled = flag(config.presence?.enabled);
  if (settings.privateOnly && !isPrivate) {
    return refuse('PrivateOnly: This project only allows private channels');
  }

  const given = params.access_token ?? params.user_token;
  // A new-style `sb_…` key or no token at all: the channel runs with the socket's API key.
  const token = typeof given === 'string' && !given.startsWith('sb_') ? given : apiToken;
  const check = await verifySupabaseToken(token, settings.secret);
  if (!check.ok) return refuse(joinRefusalReason(check.refusal));
  const claims = check.claims;
  if (settings.hub.refused('join', claims, subTopic)) {
    return refuse(`Unauthorized: ${unauthorizedTopic(subTopic)}`);
  }

  const policies: Subscription['policies'] = {};
  if (isPrivate) {
    policies['broadcast.read'] = await allowed(settings, claims, subTopic, 'broadcast.read');
    if (presenceEnabled) {
      policies['presence.read'] = await allowed(settings, claims, subTopic, 'presence.read');
    }
    if (!policies['broadcast.read'] && !policies['presence.read']) {
      return refuse(`Unauthorized: ${unauthorizedTopic(subTopic)}`);
    }
  }

  let replay: StoredMessage[] = [];
  const replayParams = config.broadcast?.replay;
  if (replayParams !== undefined) {
    if (isPrivate && policies['broadcast.read'] === false) {
      return refuse(`Unauthorized: ${unauthorizedTopic(subTopic)}`);
    }
    if (!isPrivate)
      return refuse('UnableToReplayMessages: Replay is not allowed for public channels');
    const since = replayParams?.since;
    const limit = replayParams?.limit ?? 25;
    if (!Number.isInteger(since) || !Number.isInteger(limit)) {
      return refuse('UnableToReplayMessages: Replay params are not valid');
    }
    replay = settings.hub.replay(subTopic, since as number, limit as number);
  }

  const postgresChanges = Array.isArray(config.postgres_changes)
    ? config.postgres_changes
        .filter((change) => change !== null && change !== undefined)
        .map((change, index) => ({ ...(change as object), id: index + 1 }))
    : [];
  const presenceKey = config.presence?.key;
  const sub: Subscription = {
    socket,
    topic: message.topic,
    subTopic,
    joinRef: message.joinRef,
    private: isPrivate,
    self: flag(config.broadcast?.self),
    ack: flag(config.broadcast?.ack),
    presenceKey: typeof presenceKey === 'string' && presenceKey !== '' ? presenceKey : randomUUID(),
    presenceEnabled,
    claims,
    token,
    policies,
    replayedIds: new Set(replay.map((m) => m.id)),
    presence: undefined,
    presenceCalls: { count: 0, resetAt: 0 },
    tokenTimer: undefined,
  };
  return { ok: true, sub, postgresChanges, replay };
}

/** RLS for one action; `service_role` bypasses it. */
export async function allowed(
  settings: EmulatorSettings,
  claims: SupabaseClaims,
  subTopic: string,
  action: Parameters<SupabaseAuthorize>[2],
): Promise<boolean> {
  if (claims.role === 'service_role') return true;
  return (await settings.authorize(claims, subTopic, action)) === true;
}

function refuse(reason: string): JoinOutcome {
  return { ok: false, reason };
}

/** Supabase's join payload takes booleans and their string forms ("true"/"false"). */
function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
