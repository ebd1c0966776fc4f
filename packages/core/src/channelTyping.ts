import type { ChannelHost } from './internal/channelHost.js';
import { TYPING_EVENT } from './message.js';
import { type ReadableStore, Store } from './store.js';

/**
 * Typing indicators on one channel. `start()` is cheap to call on every keystroke: it sends at
 * most one signal per `throttleMs`, and typing stops by itself `timeoutMs` after the last call.
 * The store lists the clientIds typing now, excluding this client.
 */
export interface ChannelTyping extends ReadableStore<readonly string[]> {
  start(): void;
  stop(): void;
}

export class ChannelTypingImpl implements ChannelTyping {
  readonly #host: ChannelHost;
  readonly #channel: string;
  readonly #hold: () => () => void;
  readonly #store = new Store<readonly string[]>(Object.freeze([]));
  readonly #expiry = new Map<string, unknown>();
  #typing = false;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #stopTimer: unknown;
  #release: (() => void) | undefined;

  constructor(host: ChannelHost, channel: string, hold: () => () => void) {
    this.#host = host;
    this.#channel = channel;
    this.#hold = hold;
  }

  getSnapshot = (): readonly string[] => this.#store.getSnapshot();

  subscribe = (listener: () => void): (() => void) => {
    const release = this.#hold();
    const unsubscribe = this.#store.subscribe(listener);
    return () => {
      unsubscribe();
      release();
    };
  };

  start(): void {
    const { timers, typingOptions } = this.#host;
    const now = timers.now();
    if (!this.#typing) this.#release ??= this.#hold();
    if (!this.#typing || now - this.#lastSentAt >= typingOptions.throttleMs) {
      this.#lastSentAt = now;
      this.#host.publishEphemeral(this.#channel, TYPING_EVENT, { typing: true });
    }
    this.#typing = true;
    if (this.#stopTimer !== undefined) timers.clearTimeout(this.#stopTimer);
    this.#stopTimer = timers.setTimeout(() => this.stop(), typingOptions.timeoutMs);
  }

  stop(): void {
    if (!this.#typing) return;
    this.#typing = false;
    this.#lastSentAt = Number.NEGATIVE_INFINITY;
    if (this.#stopTimer !== undefined) this.#host.timers.clearTimeout(this.#stopTimer);
    this.#stopTimer = undefined;
    this.#host.publishEphemeral(this.#channel, TYPING_EVENT, { typing: false });
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** @internal A typing signal arrived from `clientId`. */
  receive(clientId: string | undefined, data: unknown): void {
    if (!clientId || clientId === this.#host.ownClientId()) return;
    const typing = (data as { typing?: unknown } | null)?.typing === true;
    const { timers, typingOptions } = this.#host;
    const pending = this.#expiry.get(clientId);
    if (pending !== undefined) timers.clearTimeout(pending);
    if (!typing) {
      this.#remove(clientId);
      return;
    }
    // A typer refreshes every throttleMs; allow one missed refresh before expiring them.
    this.#expiry.set(
      clientId,
      timers.setTimeout(
        () => this.#remove(clientId),
        typingOptions.timeoutMs + typingOptions.throttleMs,
      ),
    );
    const current = this.#store.getSnapshot();
    if (!current.includes(clientId)) this.#store.set(Object.freeze([...current, clientId]));
  }

  /** @internal The member left or the channel detached. */
  remove(clientId: string): void {
    this.#remove(clientId);
  }

  /** @internal */
  reset(): void {
    for (const handle of this.#expiry.values()) this.#host.timers.clearTimeout(handle);
    this.#expiry.clear();
    if (this.#store.getSnapshot().length > 0) this.#store.set(Object.freeze([]));
  }

  #remove(clientId: string): void {
    const pending = this.#expiry.get(clientId);
    if (pending !== undefined) this.#host.timers.clearTimeout(pending);
    this.#expiry.delete(clientId);
    const current = this.#store.getSnapshot();
    if (current.includes(clientId))
      this.#store.set(Object.freeze(current.filter((id) => id !== clientId)));
  }
}
