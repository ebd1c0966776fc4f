import { randomUUID } from 'node:crypto';
import type { TransportMessage, TransportPresenceMember } from '@patchbay/realtime-core/transport';
import type { Broker, BrokerEvent, HistoryPage, StoredMessage } from './broker.js';

interface ChannelState {
  seq: number;
  history: StoredMessage[];
  /** The stored messages by id, for idempotent appends without scanning history. */
  ids: Map<string, StoredMessage>;
  members: Map<string, TransportPresenceMember>;
  listeners: Set<(event: BrokerEvent) => void>;
}

export interface MemoryBrokerOptions {
  /** Messages kept per channel for recovery and history. Default 1 000. */
  historySize?: number;
}

/** The default broker: everything in this process's memory. */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const historySize = options.historySize ?? 1_000;
  // Sequence numbers restart with this broker: a new epoch tells resuming clients so.
  const epoch = randomUUID();
  const channels = new Map<string, ChannelState>();
  const state = (name: string): ChannelState => {
    let current = channels.get(name);
    if (!current) {
      current = { seq: 0, history: [], ids: new Map(), members: new Map(), listeners: new Set() };
      channels.set(name, current);
    }
    return current;
  };
  const emit = (name: string, event: BrokerEvent) => {
    for (const listener of [...state(name).listeners]) listener(event);
  };
  const forgetIfIdle = (name: string) => {
    const current = channels.get(name);
    if (
      current &&
      current.seq === 0 &&
      current.members.size === 0 &&
      current.listeners.size === 0
    ) {
      channels.delete(name);
    }
  };

  return {
    async append(message) {
      const channel = state(message.channel);
      const existing = channel.ids.get(message.id);
      if (existing) return { message: existing, duplicate: true };
      const stored: StoredMessage = {
        ...message,
        seq: ++channel.seq,
        timestamp: message.timestamp ?? Date.now(),
      };
      channel.history.push(stored);
      channel.ids.set(stored.id, stored);
      if (channel.history.length > historySize) {
        const dropped = channel.history.shift();
        if (dropped) channel.ids.delete(dropped.id);
      }
      emit(message.channel, { kind: 'message', message: stored, epoch });
      return { message: stored, duplicate: false };
    },
    async broadcast(message: TransportMessage) {
      emit(message.channel, { kind: 'message', message });
    },
    async history(name, options = {}): Promise<HistoryPage> {
      const channel = channels.get(name);
      if (!channel) return { messages: [], seq: 0, epoch };
      let messages = channel.history.filter(
        (m) => options.afterSeq === undefined || m.seq > options.afterSeq,
      );
      if (options.limit !== undefined)
        messages = options.limit > 0 ? messages.slice(-options.limit) : [];
      const oldestSeq = channel.history[0]?.seq;
      return {
        messages,
        seq: channel.seq,
        epoch,
        ...(oldestSeq !== undefined ? { oldestSeq } : {}),
      };
    },
    async clearHistory(name) {
      const channel = channels.get(name);
      if (!channel) return;
      channel.history = [];
      channel.ids.clear();
    },
    async presenceSet(name, member) {
      const channel = state(name);
      const type = channel.members.has(member.connectionId) ? 'update' : 'enter';
      channel.members.set(member.connectionId, member);
      emit(name, { kind: 'presence', channel: name, event: { type, member } });
      return type;
    },
    async presenceRemove(name, connectionId) {
      const channel = channels.get(name);
      const member = channel?.members.get(connectionId);
      if (!channel || !member) return undefined;
      channel.members.delete(connectionId);
      emit(name, { kind: 'presence', channel: name, event: { type: 'leave', member } });
      forgetIfIdle(name);
      return member;
    },
    async presenceMembers(name) {
      return [...(channels.get(name)?.members.values() ?? [])];
    },
    subscribe(name, listener) {
      state(name).listeners.add(listener);
      return () => {
        channels.get(name)?.listeners.delete(listener);
        forgetIfIdle(name);
      };
    },
    async close() {
      channels.clear();
    },
  };
}
