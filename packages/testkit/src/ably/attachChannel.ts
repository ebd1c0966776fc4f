import { allows } from './credentials.js';
import type { EmulatorContext } from './emulatorContext.js';
import type { EmulatorSession } from './emulatorSession.js';
import {
  Action,
  ALL_MODES,
  Flag,
  formatSerial,
  PresenceAction,
  type ProtocolMessage,
  wireError,
} from './protocol.js';

/** ATTACH: check capability and faults, grant modes, replay from a channelSerial, then SYNC. */
export function attachFrom(
  ctx: EmulatorContext,
  session: EmulatorSession,
  message: ProtocolMessage,
): void {
  const name = message.channel;
  if (!name) return;
  const channel = ctx.channel(name);
  const attaches = ctx.attaches.get(name) ?? { seen: 0, refuse: 0 };
  ctx.attaches.set(name, attaches);
  attaches.seen++;
  const canAnything = ['subscribe', 'publish', 'presence', 'history'].some((op) =>
    allows(session.principal, name, op as 'subscribe'),
  );
  if (!canAnything || ctx.refused(session.clientId, name, 'subscribe')) {
    session.send({
      action: Action.ERROR,
      channel: name,
      error: wireError(
        40160,
        401,
        `Action not permitted: this connection may not attach to "${name}" (check the token capability).`,
      ),
    });
    return;
  }
  if (attaches.refuse > 0) {
    attaches.refuse--;
    // A transient refusal: DETACHED with a 5xx error puts an attaching channel in `suspended`
    // (RTL13b), which Ably retries, unlike ERROR (`failed`, RTL14).
    session.send({
      action: Action.DETACHED,
      channel: name,
      error: wireError(
        50001,
        500,
        `Internal channel error: unable to attach to "${name}" right now (emulator fault); retry later.`,
      ),
    });
    return;
  }
  const requested = (message.flags ?? 0) & ALL_MODES;
  let modes = requested === 0 ? ALL_MODES : requested;
  if (!allows(session.principal, name, 'subscribe')) modes &= ~Flag.SUBSCRIBE;
  if (!allows(session.principal, name, 'publish')) modes &= ~Flag.PUBLISH;
  if (!allows(session.principal, name, 'presence')) modes &= ~Flag.PRESENCE;
  const wasAttached = session.attachedHere.has(name);
  channel.attached.set(session.id, { connectionId: session.id, modes });
  session.attachedHere.add(name);
  // A re-attach with a channelSerial asks for what was missed since: replay it when history
  // still covers the gap, and only then claim continuity (RESUMED). A re-attach without one (the
  // channel was empty when this connection attached and it has seen nothing since) missed
  // everything the channel holds. Without continuity nothing is replayed, as on Ably: the client
  // reads what it missed from history up to the attach point (`untilAttach`).
  const from = message.channelSerial ?? (wasAttached ? formatSerial(0) : undefined);
  const since = from ? channel.since(from) : undefined;
  const continuity = since !== undefined && !session.presenceLost;
  const replay = continuity ? since : [];
  let flags = modes | (continuity ? Flag.RESUMED : 0);
  if (channel.members.size > 0) flags |= Flag.HAS_PRESENCE;
  // The ATTACHED that starts a replay carries the position the client resumed from; each replayed
  // MESSAGE then moves it on. ably-js keeps the last channelSerial it received (RTL15b) and
  // resumes from it: a link cut between ATTACHED and the replay must leave it before the
  // messages it never got, or the next attach would claim continuity over them.
  session.send({
    action: Action.ATTACHED,
    channel: name,
    channelSerial: replay.length > 0 && from ? from : (channel.serial ?? null),
    flags,
  });
  for (const missed of replay) {
    if (!session.echo && missed.connectionId === session.id) continue;
    session.send({
      action: Action.MESSAGE,
      channel: name,
      channelSerial: missed.serial ?? null,
      timestamp: missed.timestamp ?? Date.now(),
      messages: [missed],
    });
  }
  if (channel.members.size > 0) syncTo(ctx, session, name);
}

/** SYNC: the whole member set in one page; the empty cursor after `:` ends the sync. */
export function syncTo(ctx: EmulatorContext, session: EmulatorSession, name: string): void {
  const channel = ctx.channel(name);
  session.send({
    action: Action.SYNC,
    channel: name,
    channelSerial: `${ctx.nextId('sync')}:`,
    presence: [...channel.members.values()].map((m) => ({
      ...m,
      action: PresenceAction.PRESENT,
    })),
  });
}
