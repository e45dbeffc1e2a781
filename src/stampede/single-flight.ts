/**
 * In-process request coalescing: concurrent calls for the same key share one promise, so a cold key
 * under load runs its loader once per process (**in-flight unique per key**).
 */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  /** The in-flight promise for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.#inflight.get(key);
  }

  /** Runs `fn` unless a run for `key` is in flight; the second element says whether this call joined one. */
  run(key: string, fn: () => Promise<T>): [promise: Promise<T>, joined: boolean] {
    const existing = this.#inflight.get(key);
    if (existing !== undefined) return [existing, true];
    const promise = fn().finally(() => {
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
    });
    this.#inflight.set(key, promise);
    return [promise, false];
  }

  get size(): number {
    return this.#inflight.size;
  }
}
