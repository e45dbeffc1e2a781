import { StoreError } from '../errors.js';
import type { Store, StoreEntry } from '../stores/store.js';

/** Faults a {@link chaosStore} injects; change them at any time through `controls`. */
export interface ChaosControls {
  /** Added latency per call in ms. */
  latencyMs: number;
  /** Probability in [0, 1] that a call rejects with a `StoreError`. */
  failRate: number;
  /** When true, calls never settle (a blackholed server); the `Cache`'s timeout must bound them. */
  hang: boolean;
  /** Calls attempted so far. */
  calls: number;
}

/**
 * Wraps a store so tests can add latency, failures and hangs to it — the in-process half of fault
 * testing (the other half kills real servers and uses the TCP fault proxy).
 */
export function chaosStore(
  inner: Store,
  random: () => number = Math.random,
): { store: Store; controls: ChaosControls } {
  const controls: ChaosControls = { latencyMs: 0, failRate: 0, hang: false, calls: 0 };
  const wrap =
    <A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      controls.calls++;
      if (controls.hang) return new Promise<R>(() => {});
      if (controls.latencyMs > 0) await new Promise((r) => setTimeout(r, controls.latencyMs));
      if (controls.failRate > 0 && random() < controls.failRate) {
        throw new StoreError(`chaos: injected failure in ${inner.name}.${op}`);
      }
      return fn(...args);
    };
  const store: Store = {
    name: `chaos(${inner.name})`,
    capabilities: inner.capabilities,
    get: wrap('get', (key: string) => inner.get(key)),
    getMany: wrap('getMany', (keys: readonly string[]) => inner.getMany(keys)),
    set: wrap('set', (key: string, value: Uint8Array, ttlMs?: number) => inner.set(key, value, ttlMs)),
    setMany: wrap('setMany', (entries: readonly StoreEntry[]) => inner.setMany(entries)),
    delete: wrap('delete', (key: string) => inner.delete(key)),
    deleteMany: wrap('deleteMany', (keys: readonly string[]) => inner.deleteMany(keys)),
    has: wrap('has', (key: string) => inner.has(key)),
    touch: wrap('touch', (key: string, ttlMs: number) => inner.touch(key, ttlMs)),
    clear: wrap('clear', (prefix: string) => inner.clear(prefix)),
    close: () => inner.close(),
  };
  // The shared numbers (tag times, namespace generations) fail with the rest: an outage test must reach them.
  const { getNumbers, setMax, incr } = inner;
  if (getNumbers !== undefined) store.getNumbers = wrap('getNumbers', getNumbers.bind(inner));
  if (setMax !== undefined) store.setMax = wrap('setMax', setMax.bind(inner));
  if (incr !== undefined) store.incr = wrap('incr', incr.bind(inner));
  if (inner.scan !== undefined) {
    const scan = inner.scan.bind(inner);
    store.scan = (glob: string) => scan(glob);
  }
  return { store, controls };
}
