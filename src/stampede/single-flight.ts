/**
 * In-process request coalescing: concurrent calls for the same key share one promise, so a cold key
 * under load runs its loader once per process (**in-flight unique per key**). Each flight carries a
 * metadata object `M` (when it started, whether it was superseded, how to abort it).
 */
export class SingleFlight<T, M = undefined> {
  readonly #inflight = new Map<string, { promise: Promise<T>; meta: M }>();

  /** The in-flight promise for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.#inflight.get(key)?.promise;
  }

  /** The metadata of the flight for `key`, if any. */
  meta(key: string): M | undefined {
    return this.#inflight.get(key)?.meta;
  }

  /** Runs `fn` unless a run for `key` is in flight; the second element says whether this call joined one. */
  run(key: string, fn: (meta: M) => Promise<T>, meta: M): [promise: Promise<T>, joined: boolean] {
    const existing = this.#inflight.get(key);
    if (existing !== undefined) return [existing.promise, true];
    const flight = { promise: undefined as unknown as Promise<T>, meta };
    flight.promise = fn(meta).finally(() => {
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
    });
    this.#inflight.set(key, flight);
    return [flight.promise, false];
  }

  /** Forgets the flight of `key`: later callers start a new one; the old one settles for its own callers. */
  detach(key: string): M | undefined {
    const flight = this.#inflight.get(key);
    if (flight === undefined) return undefined;
    this.#inflight.delete(key);
    return flight.meta;
  }

  /** Forgets every flight; returns their metadata. */
  detachAll(): M[] {
    const metas = [...this.#inflight.values()].map((f) => f.meta);
    this.#inflight.clear();
    return metas;
  }
}
