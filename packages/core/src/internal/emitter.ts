/** A typed event emitter whose listeners cannot break the emitter or each other. */
export class Emitter<TEvents extends object> {
  readonly #listeners = new Map<keyof TEvents, Set<(payload: never) => void>>();
  on<TKey extends keyof TEvents>(
    event: TKey,
    listener: (payload: TEvents[TKey]) => void,
  ): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  emit<TKey extends keyof TEvents>(event: TKey, payload: TEvents[TKey]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: TEvents[TKey]) => void)(payload);
      } catch (error) {
        reportAsync(error);
      }
    }
  }

  listenerCount(event: keyof TEvents): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

/** Rethrow outside the current stack so a faulty app handler is visible but harmless. */
export function reportAsync(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}
