import type { ChannelSnapshot } from './channel.js';
import { ErrorCodes } from './codes.js';
import type { ConnectionSnapshot } from './connectionState.js';
import type { RealtimeClient } from './createRealtime.js';
import { ConnectionError, type RealtimeError } from './errors.js';
import { INSPECT, type InspectHook } from './internal/inspectTap.js';
import type { QueueStatus } from './internal/publishQueue.js';
import { PRESENCE_UPDATE_EVENT, TYPING_EVENT } from './message.js';
import type { PresenceMember } from './presenceSet.js';
import type { ReadableStore } from './store.js';
import type { TransportCapabilities, TransportMessage } from './transport/types.js';

/** One inbound message as the inspector saw it arrive (before dedupe and schema checks). */
export interface InspectedMessage {
  id: string;
  event: string;
  /** Bytes of the payload's JSON. */
  size: number;
  clientId?: string;
  seq?: number;
  /** When it arrived (ms since epoch). */
  at: number;
}

export interface InspectedChannel {
  name: string;
  /** Handlers, presence and typing watchers and `hold()`s keeping the channel live. */
  holds: number;
  /** `state`, `error` and `attempt`, as `channel.state` has them. */
  state: ChannelSnapshot;
  /** The highest sequence number seen arriving since the inspector started. */
  lastSeq?: number;
  members: readonly PresenceMember[];
  typing: readonly string[];
  /** The latest inbound messages, oldest first. */
  messages: readonly InspectedMessage[];
}

export interface InspectedError {
  code: string;
  message: string;
  at: number;
}

export interface InspectSnapshot {
  provider: string;
  capabilities: Readonly<TransportCapabilities>;
  connection: ConnectionSnapshot;
  /** The latest connection snapshots, oldest first, the current one last. */
  timeline: readonly ConnectionSnapshot[];
  /** Live channels, by name. */
  channels: readonly InspectedChannel[];
  queue: QueueStatus & {
    /** Since when the queue has not been empty (an upper bound of the oldest entry's age). */
    busySince?: number;
  };
  /** The latest errors reported on `client.on('error')`, oldest first. */
  errors: readonly InspectedError[];
}

/** A read-only view of a client, for devtools. */
export interface RealtimeInspector extends ReadableStore<InspectSnapshot> {
  /**
   * Drop a connected link as a network failure would: the client shows `reconnecting` and
   * reconnects with its backoff. The provider sees the old link close.
   */
  dropLink(): void;
  /** Forget the messages and errors seen so far (the view only). */
  clear(): void;
}

export interface InspectOptions {
  /** Messages kept per channel. Default 50. */
  messages?: number;
  /** Timeline entries and errors kept. Default 30. */
  history?: number;
  /** How often presence and typing are re-read while someone listens. Default 250 ms. */
  pollMs?: number;
}

type Hooked = RealtimeClient & { [INSPECT]?: (tap: unknown) => InspectHook };

const inspectors = new WeakMap<RealtimeClient, RealtimeInspector>();

/**
 * A subscribable, read-only view of a client: connection timeline, live channels with their
 * holds, attach state, presence, typing and latest messages, the publish queue and errors. It
 * never subscribes to a channel, holds one or listens on `client.on('error')`, so inspecting
 * changes nothing the app or the provider sees. Presence and typing are polled (watching their
 * stores would ask the provider for presence). One inspector per client; it costs nothing until
 * this entry is imported and called.
 */
export function inspect(client: RealtimeClient, options: InspectOptions = {}): RealtimeInspector {
  const existing = inspectors.get(client);
  if (existing) return existing;
  const hookFn = (client as Hooked)[INSPECT];
  if (typeof hookFn !== 'function') {
    throw new TypeError(
      'inspect() needs a client made by createRealtime() from @patchbay/realtime-core (a matching version).',
    );
  }
  const keepMessages = options.messages ?? 50;
  const keepHistory = options.history ?? 30;
  const pollMs = options.pollMs ?? 250;
  const listeners = new Set<() => void>();
  const messages = new Map<string, InspectedMessage[]>();
  const lastSeq = new Map<string, number>();
  let errors: InspectedError[] = [];
  let timeline: ConnectionSnapshot[] = [client.connection.getSnapshot()];
  let busySince: number | undefined;
  let snapshot: InspectSnapshot | undefined;
  let stopWatching: (() => void) | undefined;

  const changed = () => {
    snapshot = undefined;
    for (const listener of [...listeners]) listener();
  };
  const trim = <T>(list: T[], keep: number) => (list.length > keep ? list.slice(-keep) : list);

  const hook = hookFn.call(client, {
    message(message: TransportMessage) {
      if (message.event === TYPING_EVENT || message.event === PRESENCE_UPDATE_EVENT) return;
      const entry: InspectedMessage = {
        id: message.id,
        event: message.event,
        size: jsonBytes(message.data),
        at: Date.now(),
      };
      if (message.clientId !== undefined) entry.clientId = message.clientId;
      if (message.seq !== undefined) {
        entry.seq = message.seq;
        lastSeq.set(message.channel, Math.max(lastSeq.get(message.channel) ?? 0, message.seq));
      }
      messages.set(
        message.channel,
        trim([...(messages.get(message.channel) ?? []), entry], keepMessages),
      );
      changed();
    },
    error(error: RealtimeError) {
      errors = trim(
        [...errors, { code: error.code, message: error.message, at: Date.now() }],
        keepHistory,
      );
      changed();
    },
  });

  // The client's own stores are plain stores: listening to them has no side effect.
  client.connection.subscribe(() => {
    timeline = trim([...timeline, client.connection.getSnapshot()], keepHistory);
    changed();
  });
  client.queue.subscribe(() => {
    const { size } = client.queue.getSnapshot();
    if (size === 0) busySince = undefined;
    else busySince ??= Date.now();
    changed();
  });

  const readChannels = (): InspectedChannel[] => {
    const channels: InspectedChannel[] = [];
    for (const channel of hook.live.values()) {
      const seq = lastSeq.get(channel.name);
      channels.push({
        name: channel.name,
        holds: channel.refCount,
        state: channel.state.getSnapshot(),
        ...(seq !== undefined ? { lastSeq: seq } : {}),
        members: channel.presence.getSnapshot(),
        typing: channel.typing.getSnapshot(),
        messages: messages.get(channel.name) ?? [],
      });
    }
    return channels.sort((a, b) => a.name.localeCompare(b.name));
  };

  const read = (channels = readChannels()): InspectSnapshot => {
    const queue = client.queue.getSnapshot();
    return {
      provider: client.provider,
      capabilities: client.capabilities,
      connection: client.connection.getSnapshot(),
      timeline,
      channels,
      queue: busySince !== undefined ? { ...queue, busySince } : queue,
      errors,
    };
  };

  // The live channels, their states, presence and typing are re-read on a timer while someone
  // listens (no hook in core for them); a snapshot is rebuilt only when one of them changed, so
  // `useSyncExternalStore` stays quiet.
  /** The live channels now, when they differ from the cached snapshot's. */
  const channelsChanged = (cached: InspectSnapshot): InspectedChannel[] | undefined => {
    const now = readChannels();
    return sameChannels(cached.channels, now) ? undefined : now;
  };
  const watch = () => {
    const timer = setInterval(() => {
      if (snapshot && channelsChanged(snapshot)) changed();
    }, pollMs);
    return () => clearInterval(timer);
  };

  const inspector: RealtimeInspector = {
    getSnapshot() {
      // Without listeners nothing polls the channels: re-read them, and keep the cached snapshot
      // while they are the same (`useSyncExternalStore` reads twice before it subscribes and
      // warns when the two reads differ).
      if (snapshot && listeners.size === 0) {
        const channels = channelsChanged(snapshot);
        if (channels) snapshot = read(channels);
      }
      snapshot ??= read();
      return snapshot;
    },
    subscribe(listener) {
      listeners.add(listener);
      stopWatching ??= watch();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stopWatching?.();
          stopWatching = undefined;
        }
      };
    },
    dropLink() {
      hook.drop(
        new ConnectionError(
          ErrorCodes.ConnectionLost,
          'The link was dropped from the devtools; reconnecting.',
          { retryable: true },
        ),
      );
    },
    clear() {
      messages.clear();
      errors = [];
      changed();
    },
  };
  inspectors.set(client, inspector);
  return inspector;
}

function sameChannels(a: readonly InspectedChannel[], b: readonly InspectedChannel[]): boolean {
  return (
    a.length === b.length &&
    a.every((channel, index) => {
      const other = b[index] as InspectedChannel;
      return (
        channel.name === other.name &&
        channel.holds === other.holds &&
        channel.state === other.state &&
        channel.members === other.members &&
        channel.typing === other.typing
      );
    })
  );
}

function jsonBytes(data: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(data) ?? '').length;
  } catch {
    return 0;
  }
}
