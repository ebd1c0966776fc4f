import type { EventMap } from './defineChannel.js';

/** What a handler receives: the same envelope on every provider. */
export interface RealtimeMessage<TEvent extends string = string, TData = unknown> {
  /** The publisher's idempotency key; duplicates of an id are dropped before handlers run. */
  id: string;
  channel: string;
  event: TEvent;
  data: TData;
  /** The publisher's authenticated identity; absent for server-side publishes. */
  clientId?: string;
  connectionId?: string;
  /** Milliseconds since the epoch: the provider's timestamp, or arrival time where it has none. */
  timestamp: number;
  /** Per-channel sequence number, where the provider has one. */
  seq?: number;
}

/** The union of message envelopes of a channel's events. */
export type MessageOf<TReceive extends EventMap> = {
  [TEvent in keyof TReceive & string]: RealtimeMessage<TEvent, TReceive[TEvent]>;
}[keyof TReceive & string];

export interface PublishOptions {
  /** Idempotency key. Generated when absent; pass your own to make retries safe across reloads. */
  id?: string;
}

/** Reserved event names carry Patchbay's own signals (typing, emulated presence updates). */
export const RESERVED_EVENT_PREFIX = 'patchbay:';
export const TYPING_EVENT = 'patchbay:typing';
export const PRESENCE_UPDATE_EVENT = 'patchbay:presence-update';
