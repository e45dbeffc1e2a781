/**
 * A minimal typed event emitter that never throws: unlike node:events, an `error` event without a
 * listener is dropped (the error is already counted in stats), and a listener that throws is isolated.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Array<(payload: never) => void>>();
  /** Which events have listeners, as a plain object: the hot paths ask this on every hit. */
  readonly #active: Partial<Record<keyof Events, true>> = Object.create(null);

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else list.push(listener);
    this.#active[event] = true;
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.#listeners.delete(event);
      delete this.#active[event];
    }
  }

  /** True if someone listens: callers skip building payloads nobody reads. */
  has(event: keyof Events): boolean {
    return this.#active[event] === true;
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch (err) {
        // A throwing listener must not break the cache operation that emitted; surface it asynchronously.
        queueMicrotask(() => {
          process.emitWarning(`stratacache: a \`${String(event)}\` listener threw: ${String(err)}`, {
            code: 'STRATACACHE_LISTENER_ERROR',
          });
        });
      }
    }
  }

  removeAll(): void {
    for (const event of this.#listeners.keys()) delete this.#active[event];
    this.#listeners.clear();
  }
}
