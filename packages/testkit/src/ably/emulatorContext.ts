import type { Credentials, Operation } from './credentials.js';
import { EmulatorChannel } from './emulatorChannel.js';
import type { EmulatorSession } from './emulatorSession.js';
import { Action, Flag, type WireMessage, type WirePresence } from './protocol.js';

/** A fault: refuse `connect` or a channel operation for a user, a channel, or both. */
export interface AblyAuthRejection {
  clientId?: string;
  channel?: string;
  operation?: 'connect' | Operation;
}

export interface EmulatorSettings {
  maxIdleInterval: number;
  connectionStateTtl: number;
  remainPresentForMs: number;
  maxMessageSize: number;
  historyLimit: number;
}

/** State shared by the WebSocket sessions and the REST routes of one emulator. */
export class EmulatorContext {
  readonly credentials: Credentials;
  readonly settings: EmulatorSettings;
  readonly sessions = new Map<string, EmulatorSession>();
  readonly rejections = new Set<AblyAuthRejection>();
  /** ATTACHes seen per channel, and how many of the next ones to refuse (`refuseAttaches`). */
  readonly attaches = new Map<string, { seen: number; refuse: number }>();
  readonly #channels = new Map<string, EmulatorChannel>();
  #ids = 0;

  constructor(credentials: Credentials, settings: EmulatorSettings) {
    this.credentials = credentials;
    this.settings = settings;
  }

  channel(name: string): EmulatorChannel {
    let channel = this.#channels.get(name);
    if (!channel) {
      channel = new EmulatorChannel(name, this.settings.historyLimit);
      this.#channels.set(name, channel);
    }
    return channel;
  }

  existing(name: string): EmulatorChannel | undefined {
    return this.#channels.get(name);
  }

  nextId(prefix: string): string {
    return `${prefix}${(++this.#ids).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  }

  /** True when a fault rule refuses this operation (rules naming a channel never refuse connect). */
  refused(clientId: string | undefined, channel: string | undefined, operation: string): boolean {
    return [...this.rejections].some(
      (rule) =>
        (rule.clientId === undefined || rule.clientId === clientId) &&
        (rule.channel === undefined || rule.channel === channel) &&
        (rule.operation === undefined || rule.operation === operation) &&
        !(rule.channel !== undefined && operation === 'connect'),
    );
  }

  /** Deliver a stored message to every attached subscriber, honouring each publisher's echo flag. */
  deliver(channel: EmulatorChannel, message: WireMessage, origin?: EmulatorSession): void {
    for (const attachment of channel.attached.values()) {
      if (!(attachment.modes & Flag.SUBSCRIBE)) continue;
      const session = this.sessions.get(attachment.connectionId);
      if (!session || (session === origin && !origin.echo)) continue;
      session.send({
        action: Action.MESSAGE,
        channel: channel.name,
        // The message's own position (the channel's for an ephemeral one, which has none).
        channelSerial: message.serial ?? channel.serial ?? null,
        ...(message.connectionId !== undefined ? { connectionId: message.connectionId } : {}),
        timestamp: message.timestamp ?? Date.now(),
        messages: [message],
      });
    }
  }

  /** Broadcast presence to every attached presence subscriber, the sender included (Ably does). */
  deliverPresence(channel: EmulatorChannel, presence: WirePresence): void {
    for (const attachment of channel.attached.values()) {
      if (!(attachment.modes & Flag.PRESENCE_SUBSCRIBE)) continue;
      this.sessions.get(attachment.connectionId)?.send({
        action: Action.PRESENCE,
        channel: channel.name,
        channelSerial: channel.serial ?? null,
        ...(presence.connectionId !== undefined ? { connectionId: presence.connectionId } : {}),
        timestamp: presence.timestamp ?? Date.now(),
        presence: [presence],
      });
    }
  }

  /** Remove one connection's members from a channel and tell everyone they left. */
  leaveAll(channel: EmulatorChannel, connectionId: string, idSerial: number): void {
    for (const [key, member] of channel.members) {
      if (member.connectionId !== connectionId) continue;
      channel.members.delete(key);
      const { data: _data, encoding: _encoding, ...identity } = member;
      this.deliverPresence(channel, {
        ...identity,
        action: 3,
        id: `${connectionId}:${idSerial}:0`,
        timestamp: Date.now(),
        ...(member.data !== undefined ? { data: member.data } : {}),
        ...(member.encoding !== undefined ? { encoding: member.encoding } : {}),
      });
    }
  }

  allChannels(): IterableIterator<EmulatorChannel> {
    return this.#channels.values();
  }
}
