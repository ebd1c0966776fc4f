import {
  isRealtimeError,
  PublishTimeoutError,
  QueueOverflowError,
  type RealtimeError,
} from '../errors.js';
import type { QueuedMessage, QueueStorage } from '../queueStorage.js';
import { Store } from '../store.js';
import type { Timers } from '../timers.js';

export interface QueueStatus {
  /** Messages not yet acknowledged: waiting for a connection or sent and awaiting ack. */
  size: number;
  /** Of those, how many are on the wire awaiting the provider's ack. */
  sending: number;
  /** The bound; a publish beyond it rejects with `QueueOverflowError`. */
  maxSize: number;
}

interface Entry {
  message: QueuedMessage;
  /** `done` once removed (acked or failed), so a late answer to its last send is ignored. */
  state: 'queued' | 'inflight' | 'done';
  /** Bumped whenever the entry is (re)sent, so a late answer to an old send is ignored. */
  attempt: number;
  /** While `inflight`: the ack timeout of the current send. */
  timer?: unknown;
  settle?: { resolve: () => void; reject: (error: unknown) => void };
}

export interface PublishQueueOptions {
  maxSize: number;
  storage: QueueStorage;
  timers: Timers;
  ackTimeoutMs: number;
  /** Most messages on the wire awaiting acks at once. */
  maxInFlight: number;
  /** Pause before resending after a retryable refusal while connected. */
  retryDelayMs: number;
  send(message: QueuedMessage): Promise<void>;
  /**
   * A message failed for good after its publisher stopped waiting, e.g. after a reload: NACK,
   * timeout, or a restored entry that failed `check`.
   */
  onDropped(error: RealtimeError): void;
  /** Check an entry read from storage like a new publish: resolves with the message to send, or rejects why not. */
  check(stored: unknown): Promise<QueuedMessage>;
}

/**
 * Every publish goes through this queue, connected or not, so order is one mechanism: messages
 * leave in the order they were published. While offline they wait (bounded); on reconnect they
 * are re-sent in order. A message is removed only when acknowledged or rejected for good, so a
 * link that drops mid-send re-sends it — receivers drop the duplicate by id (exactly once).
 */
export class PublishQueue {
  readonly status: Store<QueueStatus>;
  readonly #options: PublishQueueOptions;
  #entries: Entry[] = [];
  #open = false;
  #loaded: Promise<void> | undefined;
  #checked: Promise<void> | undefined;
  /** Until stored messages are read, saving would overwrite them with only the new ones. */
  #restored = false;
  #retryTimer: unknown;
  /** The whole queue as stored, built only when storage asks for it (see `QueueStorage.changed`). */
  readonly #current = (): QueuedMessage[] => this.#entries.map((entry) => entry.message);

  constructor(options: PublishQueueOptions) {
    this.#options = options;
    this.status = new Store<QueueStatus>({ size: 0, sending: 0, maxSize: options.maxSize });
  }

  /**
   * Read stored messages once (e.g. from before a page reload) ahead of anything published now.
   * Synchronous storage (localStorage) is read at once, so nothing can be saved over it.
   */
  load(): Promise<void> {
    this.#loaded ??= (() => {
      let stored: QueuedMessage[] | Promise<QueuedMessage[]>;
      try {
        stored = this.#options.storage.load();
      } catch {
        stored = [];
      }
      if (Array.isArray(stored)) {
        this.#restore(stored);
        return Promise.resolve();
      }
      return Promise.resolve(stored).then(
        (messages) => this.#restore(Array.isArray(messages) ? messages : []),
        () => this.#restore([]),
      );
    })();
    return this.#loaded;
  }

  #restore(stored: QueuedMessage[]): void {
    const present = new Set(this.#entries.map((entry) => entry.message.id));
    const restored: Entry[] = stored
      // `?.`: entries are unchecked until `checkRestored`, and may not even be objects.
      .filter((message) => !present.has(message?.id))
      .map((message) => ({ message, state: 'queued', attempt: 0 }));
    this.#restored = true;
    if (restored.length > 0) this.#entries = [...restored, ...this.#entries];
    // Nothing read and nothing published yet: storage already holds this queue, skip the write.
    if (this.#entries.length === 0) this.#publishStatus();
    else this.#changed();
  }

  /**
   * Once, after `load()` resolved and before the first flush. Restored entries (the ones no
   * publisher waits on) were written by another page, maybe by an older app version or by hand,
   * so each passes `check` (the checks of a new publish) before anything is sent. One that fails
   * is dropped, from storage too, and reported; the rest keep their order.
   *
   * Why this late rather than at restore: schemas may be registered after the client was created
   * (`client.channel(definition)`), and the app's `error` listener too. Until then the entries
   * stay in storage and count in `status`. A schema registered only after the first flush cannot
   * check what was already sent.
   */
  checkRestored(): Promise<void> {
    this.#checked ??= (async () => {
      for (const entry of this.#entries.filter((entry) => !entry.settle)) {
        try {
          entry.message = await this.#options.check(entry.message);
        } catch (error) {
          this.#finish(entry, error);
        }
      }
    })();
    return this.#checked;
  }

  enqueue(message: QueuedMessage): Promise<void> {
    if (this.#entries.length >= this.#options.maxSize) {
      return Promise.reject(new QueueOverflowError(this.#options.maxSize));
    }
    return new Promise<void>((resolve, reject) => {
      this.#entries.push({
        message,
        state: 'queued',
        attempt: 0,
        settle: { resolve, reject },
      });
      this.#changed();
      this.#pump();
    });
  }

  /** The link is up and channels are attached: start sending, and keep sending new publishes. */
  open(): void {
    this.#open = true;
    this.#pump();
  }

  /** The link is down: stop sending, and put everything on the wire back in line for a re-send. */
  pause(): void {
    this.#open = false;
    if (this.#retryTimer !== undefined) this.#options.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const entry of this.#entries) if (entry.state === 'inflight') this.#requeue(entry);
    this.#publishStatus();
  }

  #pump(): void {
    if (!this.#open || this.#retryTimer !== undefined) return;
    // A bounded window keeps a 1 000-message flush from arriving at the provider all at once:
    // walking in order, a queued entry is sent while fewer than `maxInFlight` before it are on
    // the wire.
    let inflight = 0;
    for (const entry of this.#entries) {
      if (inflight >= this.#options.maxInFlight) break;
      if (entry.state === 'queued') this.#send(entry);
      inflight++;
    }
    this.#publishStatus();
  }

  /** A retryable refusal (rate limit, a blip) while connected: resend in order after a pause. */
  #holdAndRetry(): void {
    if (this.#retryTimer !== undefined || !this.#open) return;
    this.#retryTimer = this.#options.timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, this.#options.retryDelayMs);
  }

  #send(entry: Entry): void {
    entry.state = 'inflight';
    const attempt = ++entry.attempt;
    const { timers, ackTimeoutMs } = this.#options;
    entry.timer = timers.setTimeout(() => {
      const { channel, event } = entry.message;
      this.#finish(entry, new PublishTimeoutError(channel, event, ackTimeoutMs));
    }, ackTimeoutMs);
    let sending: Promise<void>;
    try {
      sending = this.#options.send(entry.message);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => {
        if (entry.attempt === attempt && entry.state === 'inflight') this.#finish(entry);
      },
      (error: unknown) => {
        if (entry.attempt !== attempt || entry.state !== 'inflight') return;
        if (isRealtimeError(error) && error.retryable) {
          // The link is going down (`pause()` follows and the entry is re-sent on reconnect), or
          // the provider asked us to slow down: either way it goes back in line, in order.
          this.#requeue(entry);
          this.#publishStatus();
          this.#holdAndRetry();
          return;
        }
        this.#finish(entry, error);
      },
    );
  }

  #finish(entry: Entry, error?: unknown): void {
    const index = this.#entries.indexOf(entry);
    if (index === -1) return;
    this.#options.timers.clearTimeout(entry.timer);
    entry.state = 'done';
    this.#entries.splice(index, 1);
    this.#changed();
    this.#pump();
    if (error === undefined) {
      entry.settle?.resolve();
    } else if (entry.settle) {
      entry.settle.reject(error);
    } else {
      this.#options.onDropped(error as RealtimeError);
    }
  }

  /** Back in line for a re-send; a late answer to the last send is ignored. */
  #requeue(entry: Entry): void {
    this.#options.timers.clearTimeout(entry.timer);
    entry.state = 'queued';
    entry.attempt++;
  }

  #changed(): void {
    this.#publishStatus();
    if (!this.#restored) return;
    const { storage } = this.#options;
    try {
      // Storage with `changed` (memory, localStorage) reads the queue when it writes, at most once
      // per task, so a publish or an ack does not copy and serialize the whole queue.
      if (typeof storage.changed === 'function') {
        storage.changed(this.#current);
        return;
      }
      const saving = storage.save(this.#current());
      if (saving && typeof saving.catch === 'function') saving.catch(() => {});
    } catch {
      // Storage full or unavailable: the in-memory queue still holds every message.
    }
  }

  #publishStatus(): void {
    const size = this.#entries.length;
    const sending = this.#entries.filter((entry) => entry.state === 'inflight').length;
    const current = this.status.getSnapshot();
    if (current.size !== size || current.sending !== sending) {
      this.status.set({ size, sending, maxSize: this.#options.maxSize });
    }
  }
}
