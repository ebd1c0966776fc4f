/**
 * The shape of every piece of observable state in Patchbay (connection, channel, presence set,
 * typing set, queue). It is exactly what React's `useSyncExternalStore` reads: `getSnapshot`
 * returns the same object until something changed, so bindings re-render only on real change.
 */
export interface ReadableStore<TSnapshot> {
  getSnapshot(): TSnapshot;
  subscribe(listener: () => void): () => void;
}

/** A minimal writable store. Snapshots are replaced, never mutated. */
export class Store<TSnapshot> implements ReadableStore<TSnapshot> {
  #snapshot: TSnapshot;
  readonly #listeners = new Set<() => void>();

  constructor(initial: TSnapshot) {
    this.#snapshot = initial;
  }

  getSnapshot = (): TSnapshot => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  set(next: TSnapshot): void {
    if (Object.is(next, this.#snapshot)) return;
    this.#snapshot = next;
    for (const listener of [...this.#listeners]) listener();
  }

  update(change: (current: TSnapshot) => TSnapshot): void {
    this.set(change(this.#snapshot));
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}

/**
 * Run `settled` now and on every change of `store` until it returns `true` (it resolved or
 * rejected the promise it closes over): how `connect()` and `ready()` wait for a state.
 */
export function settleOn(store: ReadableStore<unknown>, settled: () => boolean): void {
  if (settled()) return;
  const off = store.subscribe(() => {
    if (settled()) off();
  });
}
