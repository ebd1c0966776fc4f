import { allows } from './credentials.js';
import { memberKey } from './emulatorChannel.js';
import type { EmulatorContext } from './emulatorContext.js';
import type { EmulatorSession } from './emulatorSession.js';
import {
  Action,
  cleanMessage,
  messageSize,
  PresenceAction,
  type ProtocolMessage,
  tooLargeMessage,
  type WireMessage,
} from './protocol.js';

/*
 * What a connection's MESSAGE and PRESENCE frames do on a channel: capability and fault checks
 * (NACK 40160 like Ably), idempotent storage, fan-out, and the ACK carrying the serials.
 */

/** MESSAGE: publish to a channel (no attach needed, as on Ably), then ACK with the serials. */
export function publishFrom(
  ctx: EmulatorContext,
  session: EmulatorSession,
  message: ProtocolMessage,
): void {
  const name = message.channel;
  if (!name || !session.fresh(message)) return;
  if (
    !allows(session.principal, name, 'publish') ||
    ctx.refused(session.clientId, name, 'publish')
  ) {
    session.nack(
      message,
      40160,
      401,
      `Action not permitted: this connection may not publish to "${name}" (check the token capability).`,
    );
    return;
  }
  const size = (message.messages ?? []).reduce((sum, m) => sum + messageSize(m), 0);
  if (size > ctx.settings.maxMessageSize) {
    // As on Ably: NACKed, nothing is stored or delivered, and the connection and channel stay up.
    session.nack(message, 40009, 413, tooLargeMessage(size, ctx.settings.maxMessageSize));
    return;
  }
  const channel = ctx.channel(name);
  const now = Date.now();
  const serials: string[] = [];
  (message.messages ?? []).forEach((raw, index) => {
    const wire: WireMessage = {
      ...cleanMessage(raw),
      id: raw.id ?? `${session.id}:${message.msgSerial ?? 0}:${index}`,
      connectionId: session.id,
      ...(session.clientId !== undefined ? { clientId: session.clientId } : {}),
    };
    const stored = channel.append(wire, now);
    if (stored?.serial) serials.push(stored.serial);
    if (stored) ctx.deliver(channel, stored, session);
  });
  session.send({
    action: Action.ACK,
    msgSerial: message.msgSerial ?? 0,
    count: 1,
    res: [{ serials }],
  });
}

/** PRESENCE: enter/update/leave as the connection's own clientId, broadcast to all (sender included). */
export function presenceFrom(
  ctx: EmulatorContext,
  session: EmulatorSession,
  message: ProtocolMessage,
): void {
  const name = message.channel;
  if (!name || !session.fresh(message)) return;
  if (session.clientId === undefined) {
    session.nack(
      message,
      40012,
      400,
      'Presence needs an identified client: connect with a clientId or a token that has one.',
    );
    return;
  }
  if (
    !allows(session.principal, name, 'presence') ||
    ctx.refused(session.clientId, name, 'presence')
  ) {
    session.nack(
      message,
      40160,
      401,
      `Action not permitted: this connection may not enter presence on "${name}" (check the token capability).`,
    );
    return;
  }
  const channel = ctx.channel(name);
  (message.presence ?? []).forEach((raw, index) => {
    // Identity comes from the connection, never from the payload.
    const clientId = session.clientId as string;
    const key = memberKey(clientId, session.id);
    const present = channel.members.has(key);
    let action = raw.action;
    if (action === PresenceAction.ENTER && present) action = PresenceAction.UPDATE;
    if (action === PresenceAction.UPDATE && !present) action = PresenceAction.ENTER;
    if (action === PresenceAction.LEAVE && !present) return;
    const member = {
      action,
      id: `${session.id}:${message.msgSerial ?? 0}:${index}`,
      clientId,
      connectionId: session.id,
      timestamp: Date.now(),
      ...(raw.data !== undefined ? { data: raw.data } : {}),
      ...(raw.encoding !== undefined ? { encoding: raw.encoding } : {}),
    };
    if (action === PresenceAction.LEAVE) channel.members.delete(key);
    else channel.members.set(key, member);
    ctx.deliverPresence(channel, member);
  });
  session.send({ action: Action.ACK, msgSerial: message.msgSerial ?? 0, count: 1 });
}
