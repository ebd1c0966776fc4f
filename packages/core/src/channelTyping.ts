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
  #typedHere = false;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #stopTimer: unknown;
  #release: (() => void) | undefined;
  readonly #onUse: () => void;

  constructor(
    host: ChannelHost,
    channel: string,
    hold: () => () => void,
    onUse: () => void = () => {},
  ) {
    this.#host = host;
    this.#channel = channel;
    this.#hold = hold;
    this.#onUse = onUse;
  }

  /**
   * @internal Someone watches who is typing, or this client typed on this attachment (kept until
   * the channel detaches, so a typist does not join and leave a provider channel every burst).
   */
  get inUse(): boolean {
    return this.#typedHere || this.#store.listenerCount > 0;
  }

  getSnapshot = (): readonly string[] => this.#store.getSnapshot();

  subscribe = (listener: () => void): (() => void) => {
    // Listen first, then hold: the attach that the hold may start asks for presence.
    const unsubscribe = this.#store.subscribe(listener);
    const release = this.#hold();
    this.#onUse();
    return () => {
      unsubscribe();
      this.#onUse();
      release();
    };
  };

  start(): void {
    const { timers, typingOptions } = this.#host;
    const now = timers.now();
    const started = !this.#typing;
    const firstUse = !this.#typedHere;
    this.#typing = true;
    this.#typedHere = true;
    // Marked before the hold: the attach it may start asks the transport for presence.
    if (started) this.#release ??= this.#hold();
    if (firstUse) this.#onUse();
    if (started || now - this.#lastSentAt >= typingOptions.throttleMs) {
      this.#lastSentAt = now;
      this.#host.publishEphemeral(this.#channel, TYPING_EVENT, { typing: true });
    }
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
    if ((data as { typing?: unknown } | null)?.typing !== true) {
      this.remove(clientId);
      return;
    }
    const { timers, typingOptions } = this.#host;
    const pending = this.#expiry.get(clientId);
    if (pending !== undefined) timers.clearTimeout(pending);
    // A typer refreshes every throttleMs; allow one missed refresh before expiring them.
    this.#expiry.set(
      clientId,
      timers.setTimeout(
        () => this.remove(clientId),
        typingOptions.timeoutMs + typingOptions.throttleMs,
      ),
    );
    const current = this.#store.getSnapshot();
    if (!current.includes(clientId)) this.#store.set(Object.freeze([...current, clientId]));
  }

  /** @internal */
  reset(): void {
    this.#typedHere = false;
    for (const handle of this.#expiry.values()) this.#host.timers.clearTimeout(handle);
    this.#expiry.clear();
    if (this.#store.getSnapshot().length > 0) this.#store.set(Object.freeze([]));
  }

  /** @internal `clientId` stopped typing, or the member left. */
  remove(clientId: string): void {
    const pending = this.#expiry.get(clientId);
    if (pending !== undefined) this.#host.timers.clearTimeout(pending);
    this.#expiry.delete(clientId);
    const current = this.#store.getSnapshot();
    if (current.includes(clientId))
      this.#store.set(Object.freeze(current.filter((id) => id !== clientId)));
  }
}
