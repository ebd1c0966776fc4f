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
  /** While `inflight`: when the current send times out (`timers.now()` based). */
  deadline: number;
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
  // The in-flight counter, the prefix and the one sweeping ack timer below are kept for speed:
  // against the plain forms (count by filtering the entries on every status update, walk the
  // whole window on every pump, one timer per send), `pnpm bench -- --only=providers` on
  // 2026-12-06 measured client CPU per message socketio 25.7 vs 33.5 µs, sse 25.1 vs 28.5,
  // ably 44.4 vs 48.5 (−8 to −23 %); on the memory transport alone 7.5 vs 9.5 µs (−21 %).
  /** How many entries are `inflight`, kept as they change so a status update is O(1). */
  #inflight = 0;
  /**
   * True while the `inflight` entries are exactly the first `#inflight` of `#entries`, so a pump
   * can start at the first queued entry instead of walking the whole window. Removing entries and
   * appending queued ones keep it; an entry going back in line mid-window clears it.
   */
  #prefix = true;
  #open = false;
  #loaded: Promise<void> | undefined;
  #checked: Promise<void> | undefined;
  /** Until stored messages are read, saving would overwrite them with only the new ones. */
  #restored = false;
  #retryTimer: unknown;
  /**
   * One timer for every ack timeout instead of one per send: armed for the earliest deadline of
   * the entries on the wire, it times out whatever is due when it fires and re-arms for the next
   * deadline, if anything is still on the wire. Sends and acks do not touch it (a send's deadline
   * is never earlier than the armed one); `pause()` (link lost, client closed) clears it, so no
   * handle outlives the connection.
   */
  #ackTimer: unknown;
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
      .map((message) => ({ message, state: 'queued', attempt: 0, deadline: 0 }));
    this.#restored = true;
    if (restored.length > 0) {
      this.#entries = [...restored, ...this.#entries];
      if (this.#inflight > 0) this.#prefix = false;
    }
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
        deadline: 0,
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
    for (const entry of this.#entries) {
      if (entry.state === 'inflight') {
        entry.state = 'queued';
        this.#inflight--;
        entry.attempt++;
      }
    }
    this.#clearAckTimer();
    this.#prefix = true;
    this.#publishStatus();
  }

  #pump(): void {
    if (!this.#open || this.#retryTimer !== undefined) return;
    // A bounded window keeps a 1 000-message flush from arriving at the provider all at once:
    // walking in order, a queued entry is sent while fewer than `maxInFlight` before it are on
    // the wire.
    const entries = this.#entries;
    const { maxInFlight } = this.#options;
    let inflight = 0;
    let index = 0;
    if (this.#prefix) {
      inflight = this.#inflight;
      index = inflight;
    }
    for (; index < entries.length; index++) {
      const entry = entries[index] as Entry;
      if (entry.state === 'inflight') inflight++;
      else if (inflight < maxInFlight) {
        this.#send(entry);
        inflight++;
      } else break;
    }
    // Everything before `index` is on the wire now; the prefix holds if nothing after it is.
    this.#prefix = inflight === this.#inflight;
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
    this.#inflight++;
    const attempt = ++entry.attempt;
    const { timers, ackTimeoutMs } = this.#options;
    entry.deadline = timers.now() + ackTimeoutMs;
    if (this.#ackTimer === undefined) this.#armAckTimer(entry.deadline, ackTimeoutMs);
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
          entry.state = 'queued';
          this.#inflight--;
          entry.attempt++;
          this.#prefix = false;
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
    if (entry.state === 'inflight') this.#inflight--;
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

  /** Fire at `at`, which is `delay` ms from now. */
  #armAckTimer(at: number, delay: number): void {
    const { timers } = this.#options;
    if (this.#ackTimer !== undefined) timers.clearTimeout(this.#ackTimer);
    this.#ackTimer = timers.setTimeout(() => this.#sweep(at), delay);
  }

  #clearAckTimer(): void {
    if (this.#ackTimer !== undefined) this.#options.timers.clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  /** The ack timer fired: time out every send whose deadline has passed, re-arm for the rest. */
  #sweep(armedFor: number): void {
    this.#ackTimer = undefined;
    const { timers, ackTimeoutMs } = this.#options;
    // The timer fired, so its own deadline has passed even if the clock reads a hair earlier.
    const now = Math.max(armedFor, timers.now());
    let next = Number.POSITIVE_INFINITY;
    // A copy: settling one removes it and may send others (`#finish` pumps), whose fresh deadlines
    // are then seen below.
    for (const entry of this.#entries.slice()) {
      if (entry.state !== 'inflight') continue;
      if (entry.deadline <= now) {
        const { channel, event } = entry.message;
        this.#finish(entry, new PublishTimeoutError(channel, event, ackTimeoutMs));
      } else if (entry.deadline < next) next = entry.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.#armAckTimer(next, next - now);
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
    const sending = this.#inflight;
    const current = this.status.getSnapshot();
    if (current.size !== size || current.sending !== sending) {
      this.status.set({ size, sending, maxSize: this.#options.maxSize });
    }
  }
}
