import { ClosedError } from '../errors.js';
import { compileGlob } from '../internal/glob.js';
import type { Store, StoreCapabilities, StoreEntry } from '../stores/store.js';
import { type Clock, systemClock } from '../ttl/clock.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A `Store` over an in-process Map: the reference implementation of the store contract, and a stand-in
 * L2 for users' unit tests (wrap it in `chaosStore` to inject latency and failures).
 */
export class MapStore implements Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities = Object.freeze({
    ttl: true,
    scan: true,
    maxValueBytes: Number.POSITIVE_INFINITY,
    scripts: true,
    pubsub: false,
    locks: false,
  });
  readonly #map = new Map<string, { value: Uint8Array; expiresAt: number }>();
  readonly #clock: Clock;
  #closed = false;

  constructor(options: { name?: string; clock?: Clock } = {}) {
    this.name = options.name ?? 'map';
    this.#clock = options.clock ?? systemClock;
  }

  #live(key: string): { value: Uint8Array; expiresAt: number } | undefined {
    if (this.#closed) throw new ClosedError(`store \`${this.name}\``);
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#clock.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return slot;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#live(key)?.value.slice();
  }

  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    return keys.map((key) => this.#live(key)?.value.slice());
  }

  async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    if (this.#closed) throw new ClosedError(`store \`${this.name}\``);
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() + ttlMs;
    this.#map.set(key, { value: value.slice(), expiresAt });
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    for (const e of entries) await this.set(e.key, e.value, e.ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    const had = this.#live(key) !== undefined;
    this.#map.delete(key);
    return had;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const key of keys) if (await this.delete(key)) n++;
    return n;
  }

  async has(key: string): Promise<boolean> {
    return this.#live(key) !== undefined;
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    const slot = this.#live(key);
    if (slot === undefined) return false;
    slot.expiresAt = this.#clock.now() + ttlMs;
    return true;
  }

  async clear(prefix: string): Promise<void> {
    for (const key of [...this.#map.keys()]) if (key.startsWith(prefix)) this.#map.delete(key);
  }

  async *scan(glob: string): AsyncIterable<string> {
    const matcher = compileGlob(glob);
    for (const key of [...this.#map.keys()])
      if (matcher.test(key) && this.#live(key) !== undefined) yield key;
  }

  // incr and setMax read and write in one synchronous step: atomic, as the store contract requires
  // (an await between them let two concurrent increments read the same number).
  async incr(key: string, by = 1): Promise<number> {
    const slot = this.#live(key);
    const next = this.#number(key) + by;
    this.#map.set(key, {
      value: enc.encode(String(next)),
      expiresAt: slot?.expiresAt ?? Number.POSITIVE_INFINITY,
    });
    return next;
  }

  async setMax(key: string, value: number, ttlMs?: number): Promise<number> {
    const current = this.#number(key);
    if (value <= current) return current;
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() + ttlMs;
    this.#map.set(key, { value: enc.encode(String(value)), expiresAt });
    return value;
  }

  async getNumbers(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => this.#number(k));
  }

  #number(key: string): number {
    const raw = this.#live(key)?.value;
    const n = raw === undefined ? 0 : Number(dec.decode(raw));
    return Number.isFinite(n) ? n : 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
