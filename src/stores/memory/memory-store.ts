import { ValueTooLargeError } from '../../errors.js';
import { assertKnownKeys, assertPositiveInt, assertTtl } from '../../internal/asserts.js';
import { type Clock, systemClock } from '../../internal/clock.js';
import { estimateSize } from './size.js';

/** Why an entry left the memory tier without a `delete()`. */
export type EvictionReason = 'capacity' | 'expired';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions<V = unknown> {
  /** Most entries held at once. @default 10_000 */
  maxEntries?: number;
  /** Most bytes held at once, as measured by `sizeOf`. @default unbounded */
  maxBytes?: number;
  /** Largest single entry in bytes; a larger `set` throws {@link ValueTooLargeError}. @default maxBytes */
  maxEntryBytes?: number;
  /** Size of a value in bytes. @default a structural estimate (see README, "Memory tier sizes") */
  sizeOf?: (value: V, key: string) => number;
  /** Called after an entry is evicted for capacity or found expired. */
  onEvict?: (key: string, value: V, reason: EvictionReason) => void;
  /** Time source. @default Date.now */
  clock?: Clock;
}

interface Slot<V> {
  value: V;
  expiresAt: number;
  size: number;
}

const KNOWN = ['maxEntries', 'maxBytes', 'maxEntryBytes', 'sizeOf', 'onEvict', 'clock'] as const;

/**
 * A bounded, synchronous in-process key/value tier (the L1 of a `Cache`).
 *
 * Every method is synchronous and allocation-lean; it is bounded by entry count (10,000 by default) and
 * optionally by bytes. Expired entries are never returned.
 *
 * @example
 * const l1 = new MemoryStore<string>({ maxEntries: 1000 });
 * l1.set('a', 'b', 60_000);
 * l1.get('a'); // 'b'
 */
export class MemoryStore<V = unknown> {
  readonly #map = new Map<string, Slot<V>>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #sizeOf: ((value: V, key: string) => number) | undefined;
  readonly #onEvict: ((key: string, value: V, reason: EvictionReason) => void) | undefined;
  readonly #clock: Clock;
  #bytes = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(options: MemoryStoreOptions<V> = {}) {
    assertKnownKeys('MemoryStore options', options, KNOWN);
    const { maxEntries = 10_000, maxBytes, maxEntryBytes, sizeOf, onEvict, clock = systemClock } = options;
    this.#maxEntries = assertPositiveInt('maxEntries', maxEntries);
    this.#maxBytes =
      maxBytes === undefined ? Number.POSITIVE_INFINITY : assertPositiveInt('maxBytes', maxBytes);
    this.#maxEntryBytes =
      maxEntryBytes === undefined ? this.#maxBytes : assertPositiveInt('maxEntryBytes', maxEntryBytes);
    if (sizeOf !== undefined && typeof sizeOf !== 'function') {
      throw new TypeError('Expected `sizeOf` to be a function (value, key) => bytes');
    }
    this.#sizeOf = sizeOf;
    this.#onEvict = onEvict;
    this.#clock = clock;
  }

  /** Number of entries held (expired ones not yet collected included). */
  get size(): number {
    return this.#map.size;
  }

  /** Bytes held, as measured by `sizeOf` (0 when no byte bound or `sizeOf` is set). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries removed for capacity since creation. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Entries found expired and removed since creation. */
  get expirations(): number {
    return this.#expirations;
  }

  /** The value under `key`, or `undefined`; counts as a use for eviction. */
  get(key: string): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#clock.now()) {
      this.#expire(key, slot);
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, slot);
    return slot.value;
  }

  /** The value under `key` without counting a use. */
  peek(key: string): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined || slot.expiresAt <= this.#clock.now()) return undefined;
    return slot.value;
  }

  /** True if `key` holds an unexpired value; not a use. */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Milliseconds until `key` expires (`Infinity` for no expiry), or 0 when absent. */
  remainingTtl(key: string): number {
    const slot = this.#map.get(key);
    if (slot === undefined) return 0;
    return Math.max(0, slot.expiresAt - this.#clock.now());
  }

  /**
   * Stores `value` under `key` for `ttlMs` (no expiry when omitted).
   * @throws {ValueTooLargeError} when the value is larger than `maxEntryBytes`.
   */
  set(key: string, value: V, ttlMs?: number): void {
    const expiresAt =
      ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() + assertTtl('ttlMs', ttlMs, true);
    const size = this.#measure(key, value);
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#bytes -= old.size;
      this.#map.delete(key);
    }
    this.#map.set(key, { value, expiresAt, size });
    this.#bytes += size;
    this.#trim();
  }

  /** Removes `key`; true if it was present. */
  delete(key: string): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= slot.size;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  /** Every live key, least recently used first. */
  *keys(): IterableIterator<string> {
    const now = this.#clock.now();
    for (const [key, slot] of this.#map) if (slot.expiresAt > now) yield key;
  }

  #measure(key: string, value: V): number {
    if (this.#sizeOf === undefined && this.#maxBytes === Number.POSITIVE_INFINITY) return 0;
    const size = this.#sizeOf === undefined ? estimateSize(value) : this.#sizeOf(value, key);
    if (!Number.isFinite(size) || size < 0) {
      throw new TypeError(`Expected \`sizeOf\` to return a non-negative number of bytes, got ${size}`);
    }
    if (size > this.#maxEntryBytes) {
      throw new ValueTooLargeError(
        `Value for key \`${key}\` is ${size} bytes; the memory tier accepts at most ${this.#maxEntryBytes} (maxEntryBytes)`,
      );
    }
    return size;
  }

  #trim(): void {
    while (this.#map.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const first = this.#map.entries().next();
      if (first.done) return;
      const [key, slot] = first.value;
      this.#map.delete(key);
      this.#bytes -= slot.size;
      if (slot.expiresAt <= this.#clock.now()) {
        this.#expirations++;
        this.#onEvict?.(key, slot.value, 'expired');
      } else {
        this.#evictions++;
        this.#onEvict?.(key, slot.value, 'capacity');
      }
    }
  }

  #expire(key: string, slot: Slot<V>): void {
    this.#map.delete(key);
    this.#bytes -= slot.size;
    this.#expirations++;
    this.#onEvict?.(key, slot.value, 'expired');
  }
}
