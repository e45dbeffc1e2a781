/**
 * A minimal typed event emitter for the strategies.
 *
 * Unlike `node:events`, emitting `'error'` with no listener does nothing (background work reports
 * through events and stats, never by crashing the process), and a listener that throws cannot break
 * the emitter's owner: its exception is swallowed.
 */
export class EventHub<Events extends { [name: string]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Set<(...args: unknown[]) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    const stored = listener as unknown as (...args: unknown[]) => void;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  /** Calls every listener of `name` synchronously, in the order they were added. */
  emit<K extends keyof Events>(name: K, ...args: Events[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch {
        // A listener's bug must not stop a flush loop or a batch; the owner keeps running.
      }
    }
  }
}
