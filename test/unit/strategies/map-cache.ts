/**
 * A `CachePort` over a Map for the strategy tests, with switches to make its writes fail and counters
 * of its calls.
 */
import type { CachePort } from '../../../src/strategies/cache-port.js';

export class MapCache implements CachePort {
  readonly map = new Map<string, unknown>();
  /** While true, `set`/`setMany` reject. */
  failSets = false;
  /** While true, `get`/`getMany` reject. */
  failGets = false;
  /** While true, `delete`/`deleteMany` reject. */
  failDeletes = false;
  readonly calls = { get: 0, getMany: 0, set: 0, setMany: 0, delete: 0, deleteMany: 0 };

  async get<T>(key: string): Promise<T | undefined> {
    this.calls.get++;
    if (this.failGets) throw new Error('cache down');
    return this.map.get(key) as T | undefined;
  }

  async getMany<T>(keys: readonly string[]): Promise<Array<T | undefined>> {
    this.calls.getMany++;
    if (this.failGets) throw new Error('cache down');
    return keys.map((k) => this.map.get(k) as T | undefined);
  }

  async set<T>(key: string, value: T): Promise<void> {
    this.calls.set++;
    if (this.failSets) throw new Error('cache down');
    this.map.set(key, value);
  }

  async setMany<T>(entries: ReadonlyArray<{ key: string; value: T }>): Promise<void> {
    this.calls.setMany++;
    if (this.failSets) throw new Error('cache down');
    for (const e of entries) this.map.set(e.key, e.value);
  }

  async delete(key: string): Promise<boolean> {
    this.calls.delete++;
    if (this.failDeletes) throw new Error('cache down');
    return this.map.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.calls.deleteMany++;
    if (this.failDeletes) throw new Error('cache down');
    let n = 0;
    for (const k of keys) if (this.map.delete(k)) n++;
    return n;
  }
}
