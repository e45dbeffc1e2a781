/**
 * A minimal typed event emitter that never throws: unlike node:events, an `error` event without a
 * listener is dropped (the error is already counted in stats), and a listener that throws is isolated
 * (reported as a process warning) so it cannot break the operation that emitted.
 *
 * `Events` maps each event name to its argument list; `Payloads<E>` adapts a map of single payloads.
 */
export class Emitter<Events extends { [name: string]: unknown[] }> {
  // Listeners are stored untyped; `on` and `emit` keep each event's argument list consistent.
  readonly #listeners = new Map<keyof Events, Array<Listener>>();
  /**
   * Which events have listeners: the hot paths ask this on every hit. An ordinary object whose flags are
   * set to false rather than deleted keeps V8's fast properties (a null-prototype object or a `delete`
   * would turn it into a dictionary and every check into a hash lookup).
   */
  readonly #active: { -readonly [K in keyof Events]?: boolean } = {};

  /**
   * Which events have listeners (`emitter.listening.hit`): callers skip building payloads nobody reads.
   * Read it as a property at each call site, so every site's inline cache stays monomorphic.
   */
  readonly listening: { readonly [K in keyof Events]?: boolean } = this.#active;

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): () => void {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener as Listener]);
    else list.push(listener as Listener);
    this.#active[event] = true;
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener as Listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.#listeners.delete(event);
      this.#active[event] = false;
    }
  }

  /** Calls every listener of `event` synchronously, in the order they were added. */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        listener(...args);
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
    for (const event of this.#listeners.keys()) this.#active[event] = false;
    this.#listeners.clear();
  }
}

type Listener = (...args: unknown[]) => void;

/** Adapts a map of single event payloads (`{ hit: { key } }`) to the argument lists of {@link Emitter}. */
export type Payloads<E> = { [K in keyof E]: [payload: E[K]] };
