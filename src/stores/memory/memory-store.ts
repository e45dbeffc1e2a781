/**
 * Over 400 lines: one slab of parallel typed arrays (links, queues, sizes, expiry) that every method
 * indexes through private fields; what needs no slab access is in its own file (frequency sketch,
 * admission rule, window controller, timer wheel, options, sizing). Splitting the slab methods across
 * classes would put a call between a hit and its array reads.
 */
import { ValueTooLargeError } from '../../errors.js';
import { assertTtl, describe } from '../../internal/asserts.js';
import type { Clock } from '../../ttl/clock.js';
import { admits } from './admission.js';
import { GhostClimber } from './climber.js';
import { FrequencySketch, hashKey } from './frequency-sketch.js';
import {
  type EvictionReason,
  type MemoryStoreOptions,
  type MemoryStorePolicyState,
  resolveOptions,
} from './memory-options.js';
import { estimateSize } from './size.js';
import { TimerWheel } from './timer-wheel.js';

export type {
  EvictionPolicy,
  EvictionReason,
  MemoryStoreOptions,
  MemoryStorePolicyState,
} from './memory-options.js';

// The three LRU lists are circular and threaded through `#prev`/`#next`; their sentinels are the
// slots 0 to 2, so a slot's queue id is also the index of its list's sentinel.
const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const BASE = 3;
const NONE = -1;

const INITIAL_SLOTS = 1024;
const INITIAL_WINDOW = 0.01;
const PROTECTED_SHARE = 0.8;
// While the ghosts keep the window at most this share of the capacity (the workload is frequency-
// biased), the sketch ages every AGING_FREQUENT × capacity additions instead of 10 ×: a longer memory
// tells keys near the admission boundary apart, and a recency-biased workload widens the window first.
const FREQUENT_WINDOW = 0.01;
const AGING_FREQUENT = 40;

/**
 * A bounded, synchronous in-process key/value tier (the L1 of a `Cache`).
 *
 * Eviction is adaptive W-TinyLFU, after Caffeine: new entries enter a small LRU window; an entry leaving
 * the window is admitted to the main space (a segmented LRU of probation and protected entries) only if
 * a 4-bit count-min sketch says it is used more often than the main space's victim. Ghost hits resize
 * the window (see climber.ts), so recency-biased workloads behave like LRU and frequency-biased ones
 * like LFU: a miss on a key the window recently pushed out unadmitted grows it, one on a key the main
 * space recently evicted shrinks it, by steps that grow while the hits keep pointing the same way. The
 * window starts at 1 % and may grow to all but one entry. The sketch counts from the first insert and
 * ages by halving every `10 × maxEntries` additions, or every `40 × maxEntries` while the window is at
 * 1 % or less (a frequency-biased workload, where a longer memory ranks keys better).
 *
 * `onEvict` calls are queued and delivered when the operation that evicted has finished, so a listener
 * may call back into the store.
 *
 * The store is bounded by entry count (10,000 by default) and optionally by bytes. Expired entries are
 * never returned; a timer wheel advanced by ordinary calls frees them without scanning and without timers.
 * Entries live in parallel typed arrays indexed through one `Map<string, number>`, so a hit allocates
 * nothing.
 *
 * @example
 * const l1 = new MemoryStore<string>({ maxEntries: 1000 });
 * l1.set('a', 'b', 60_000);
 * l1.get('a'); // 'b'
 */
export class MemoryStore<V = unknown> {
  readonly #index = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #measureBytes: boolean;
  readonly #sizeOf: ((value: V, key: string) => number) | undefined;
  readonly #onEvict: ((key: string, value: V, reason: EvictionReason) => void) | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #seed: number;
  readonly #tinylfu: boolean;
  readonly #sketch: FrequencySketch | undefined;
  readonly #expireFromWheel: (slot: number) => void;
  // Whether a key with hash `hash`, inserted now (one more use), would lose its duel with the current
  // main victim: only then does a window-ghost hit ask for a larger window.
  readonly #wouldLose = (hash: number): boolean => {
    const victim = this.#count > this.#windowCount ? this.#mainVictim() : NONE;
    if (victim === NONE) return false;
    const sketch = this.#sketch!;
    return sketch.frequency(hash) + 1 <= sketch.frequency(this.#hashes[victim]!);
  };

  #keys: Array<string | undefined> = [];
  #values: Array<V | undefined> = [];
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #queue = new Uint8Array(0);
  #hashes = new Int32Array(0);
  // The sketch epoch in which a slot's key was last seen saturated; its hits skip the sketch until then.
  #saturated = new Uint8Array(0);
  // The sketch's epoch (1 to 255) once the first key was counted, 0 before. Uses are counted from the
  // first insert: on a short trace (glimpse has 6,015 requests) the uses seen while the store fills are
  // a large share of all the frequency information there will be, and without them the first duels are
  // decided by noise.
  #epoch = 0;
  #sizes: Float64Array | undefined;
  #wheel: TimerWheel | undefined;
  #expires: Float64Array | undefined;
  #nextTick = 0;
  // The time the current set() read; evictions run only inside a set() once the wheel has started.
  #now = 0;
  // The key of the last get() miss, so that the set() a miss usually leads to skips a second lookup.
  #missed: string | undefined;
  #pendingKeys: string[] = [];
  #pendingValues: V[] = [];
  #pendingReasons: EvictionReason[] = [];

  #slots = 0;
  #top = BASE;
  #free = NONE;
  #capacity = 0;
  #count = 0;
  #windowCount = 0;
  #protectedCount = 0;
  #windowMax = 0;
  #protectedMax = 0;

  // The main victim's estimate, kept while it stays the victim and is not used (it usually wins several
  // duels in a row); only hash collisions could raise its counters meanwhile.
  #victim = NONE;
  #victimEpoch = 0;
  #victimFrequency = 0;

  #ghosts: GhostClimber | undefined;
  // The hash of `#missed`, so that the set() after a miss does not hash the key twice.
  #missedHash = 0;

  #bytes = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(options: MemoryStoreOptions<V> = {}) {
    const { maxEntries, maxBytes, maxEntryBytes, sizeOf, onEvict, clock, policy, random } =
      resolveOptions(options);
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#maxEntryBytes = maxEntryBytes;
    this.#sizeOf = sizeOf;
    this.#onEvict = onEvict;
    this.#clock = clock;
    this.#random = random;
    this.#seed = Math.floor(random() * 2 ** 32) | 0;
    this.#measureBytes = sizeOf !== undefined || this.#maxBytes !== Number.POSITIVE_INFINITY;
    this.#expireFromWheel = (slot) => this.#expireSlot(slot);
    this.#tinylfu = policy === 'tinylfu';
    this.#allocate(Math.min(INITIAL_SLOTS, this.#maxEntries + 1));
    this.#capacity = Math.min(this.#maxEntries, this.#slots);
    if (this.#tinylfu) {
      this.#sketch = new FrequencySketch(this.#capacity);
      this.#capacity = this.#maxEntries === Number.POSITIVE_INFINITY ? this.#slots : this.#maxEntries;
      this.#ghosts = new GhostClimber(this.#capacity);
      this.#windowMax = Math.max(1, Math.floor(this.#capacity * INITIAL_WINDOW));
      this.#protectedMax = Math.floor(PROTECTED_SHARE * (this.#capacity - this.#windowMax));
      this.#adaptAging();
    } else {
      this.#windowMax = Number.POSITIVE_INFINITY;
    }
  }

  /** Number of entries held (expired ones not yet collected included). */
  get size(): number {
    return this.#count;
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

  /** The current window and segment sizes of the eviction policy. */
  get policyState(): MemoryStorePolicyState {
    return {
      windowMax: this.#windowMax,
      protectedMax: this.#protectedMax,
      window: this.#windowCount,
      probation: this.#count - this.#windowCount - this.#protectedCount,
      protected: this.#protectedCount,
    };
  }

  /** The value under `key`, or `undefined`; counts as a use for eviction. */
  get(key: string): V | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return this.#miss(key);
    const expires = this.#expires;
    if (expires !== undefined) {
      const expiresAt = expires[slot]!;
      if (expiresAt !== Number.POSITIVE_INFINITY && expiresAt <= this.#clock.now()) {
        this.#expireSlot(slot);
        return this.#miss(key);
      }
    }
    this.#touch(slot);
    return this.#values[slot];
  }

  /**
   * The end of a `get` that found nothing: moves the wheel and counts the miss. `key` is remembered
   * before the wheel's `onEvict` calls run, so a listener that stores it clears the memo (see `#insert`).
   */
  #miss(key: string): undefined {
    this.#missed = key;
    const ghosts = this.#ghosts;
    if (ghosts !== undefined) {
      const hash = hashKey(key, this.#seed);
      this.#missedHash = hash;
      this.#resizeWindow(ghosts.miss(hash, this.#wouldLose));
    }
    this.#tick();
    return undefined;
  }

  /** The value under `key` without counting a use. */
  peek(key: string): V | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return undefined;
    if (this.#expires !== undefined && this.#isExpired(slot)) {
      this.#expireSlot(slot);
      this.#flushPending();
      return undefined;
    }
    return this.#values[slot];
  }

  /** True if `key` holds an unexpired value; not a use. */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Milliseconds until `key` expires (`Infinity` for no expiry), or 0 when absent or expired. */
  remainingTtl(key: string): number {
    const slot = this.#index.get(key);
    if (slot === undefined) return 0;
    const expiresAt = this.#expires === undefined ? Number.POSITIVE_INFINITY : this.#expires[slot]!;
    if (expiresAt === Number.POSITIVE_INFINITY) return expiresAt;
    return Math.max(0, expiresAt - this.#clock.now());
  }

  /**
   * Stores `value` under `key` for `ttlMs` (no expiry when omitted or `Infinity`); counts as a use.
   * A new key may be refused by the admission policy at once or evicted later; it is never an error.
   * @throws {ValueTooLargeError} when the value is larger than `maxEntryBytes`.
   */
  set(key: string, value: V, ttlMs?: number): void {
    const finite = ttlMs !== undefined && assertTtl('ttlMs', ttlMs, true) !== Number.POSITIVE_INFINITY;
    const size = this.#measureBytes ? this.#measure(key, value) : 0;
    let expiresAt = Number.POSITIVE_INFINITY;
    if (finite || this.#wheel !== undefined) {
      const now = this.#clock.now();
      this.#now = now;
      if (this.#wheel === undefined) this.#startWheel(now);
      else this.#advance(now);
      if (finite) expiresAt = now + ttlMs;
    }
    const slot = key === this.#missed ? undefined : this.#index.get(key);
    if (slot === undefined) this.#insert(key, value, size, expiresAt);
    else this.#update(slot, value, size, expiresAt);
    this.#flushPending();
  }

  /** Removes `key`; true if it held an unexpired value. */
  delete(key: string): boolean {
    const slot = this.#index.get(key);
    if (slot === undefined) return false;
    if (this.#expires !== undefined && this.#isExpired(slot)) {
      this.#expireSlot(slot);
      this.#flushPending();
      return false;
    }
    this.#release(slot);
    return true;
  }

  /** Removes every entry (without `onEvict` calls) and releases the storage. */
  clear(): void {
    this.#index.clear();
    this.#count = 0;
    this.#windowCount = 0;
    this.#protectedCount = 0;
    this.#bytes = 0;
    this.#wheel = undefined;
    this.#expires = undefined;
    this.#allocate(Math.min(INITIAL_SLOTS, this.#maxEntries + 1));
    this.#resizePolicy();
  }

  /** Every live key, in no particular order. */
  *keys(): IterableIterator<string> {
    const now = this.#expires === undefined ? 0 : this.#clock.now();
    for (const [key, slot] of this.#index) {
      if (this.#expires === undefined || this.#expires[slot]! > now) yield key;
    }
  }

  #measure(key: string, value: V): number {
    const size = this.#sizeOf === undefined ? estimateSize(value) : this.#sizeOf(value, key);
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
      throw new TypeError(
        `Expected \`sizeOf\` to return a non-negative number of bytes, got ${describe(size)}`,
      );
    }
    if (size > this.#maxEntryBytes) {
      throw new ValueTooLargeError(
        `Value for key \`${key}\` is ${size} bytes; the memory tier accepts at most ${this.#maxEntryBytes} (maxEntryBytes)`,
      );
    }
    return size;
  }

  #insert(key: string, value: V, size: number, expiresAt: number): void {
    if (this.#free === NONE && this.#top === BASE + this.#slots) this.#grow();
    const missed = key === this.#missed;
    this.#missed = undefined;
    let slot = this.#free;
    if (slot === NONE) slot = this.#top++;
    else this.#free = this.#next[slot]!;
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#queue[slot] = WINDOW;
    this.#linkLast(slot, WINDOW);
    this.#index.set(key, slot);
    this.#count++;
    this.#windowCount++;
    if (this.#sizes !== undefined) {
      this.#sizes[slot] = size;
      this.#bytes += size;
    }
    if (expiresAt !== Number.POSITIVE_INFINITY) this.#wheel!.schedule(slot, expiresAt);
    const sketch = this.#sketch;
    if (sketch !== undefined) {
      const hash = missed ? this.#missedHash : hashKey(key, this.#seed);
      this.#hashes[slot] = hash;
      this.#saturated[slot] = 0;
      sketch.increment(hash);
      this.#epoch = sketch.epoch;
    }
    if (this.#windowCount > this.#windowMax || this.#overflowing()) this.#evict();
  }

  #update(slot: number, value: V, size: number, expiresAt: number): void {
    this.#values[slot] = value;
    if (this.#sizes !== undefined) {
      this.#bytes += size - this.#sizes[slot]!;
      this.#sizes[slot] = size;
    }
    this.#wheel?.schedule(slot, expiresAt);
    this.#touch(slot);
    if (this.#overflowing()) this.#evict();
  }

  /** Records a use of `slot`: counts it in the sketch and moves it to the front of its segment. */
  #touch(slot: number): void {
    if (slot === this.#victim) this.#victim = NONE;
    const epoch = this.#epoch;
    if (epoch !== 0 && this.#saturated[slot] !== epoch) {
      const sketch = this.#sketch!;
      if (sketch.increment(this.#hashes[slot]!)) this.#saturated[slot] = sketch.epoch;
      this.#epoch = sketch.epoch;
    }
    const queue = this.#queue[slot]!;
    if (queue === PROBATION) this.#promote(slot);
    else if (this.#next[slot] !== queue) {
      this.#unlink(slot);
      this.#linkLast(slot, queue);
    }
  }

  /** Moves a used probation entry to the protected segment, demoting the protected LRU if it is full. */
  #promote(slot: number): void {
    this.#unlink(slot);
    this.#queue[slot] = PROTECTED;
    this.#linkLast(slot, PROTECTED);
    if (++this.#protectedCount > this.#protectedMax) this.#demoteProtected();
  }

  #overflowing(): boolean {
    return this.#count > this.#maxEntries || this.#bytes > this.#maxBytes;
  }

  /**
   * Restores the bounds: window overflow moves to probation, and while the store is over a bound each
   * leaving window entry (the candidate) duels the main space's LRU victim on estimated frequency.
   */
  #evict(): void {
    const next = this.#next;
    while (this.#windowCount > this.#windowMax) {
      const candidate = next[WINDOW]!;
      if (this.#count > this.#windowCount && this.#overflowing()) {
        const victim = this.#mainVictim();
        if (this.#admit(candidate, victim)) {
          this.#ghosts!.evicted(this.#hashes[victim]!);
          this.#evictSlot(victim);
          this.#moveTo(candidate, PROBATION);
        } else {
          this.#ghosts!.rejected(this.#hashes[candidate]!);
          this.#evictSlot(candidate);
        }
      } else {
        this.#moveTo(candidate, PROBATION);
      }
    }
    while (this.#count > 0 && this.#overflowing()) {
      const slot = this.#count > this.#windowCount ? this.#mainVictim() : next[WINDOW]!;
      const ghosts = this.#ghosts;
      if (ghosts !== undefined) {
        if (this.#queue[slot] === WINDOW) ghosts.rejected(this.#hashes[slot]!);
        else ghosts.evicted(this.#hashes[slot]!);
      }
      this.#evictSlot(slot);
    }
  }

  #mainVictim(): number {
    const first = this.#next[PROBATION]!;
    return first !== PROBATION ? first : this.#next[PROTECTED]!;
  }

  #admit(candidate: number, victim: number): boolean {
    const sketch = this.#sketch!;
    if (victim !== this.#victim || sketch.epoch !== this.#victimEpoch) {
      this.#victim = victim;
      this.#victimEpoch = sketch.epoch;
      this.#victimFrequency = sketch.frequency(this.#hashes[victim]!);
    }
    return admits(sketch.frequency(this.#hashes[candidate]!), this.#victimFrequency, this.#random);
  }

  #demoteProtected(): void {
    while (this.#protectedCount > this.#protectedMax) {
      const slot = this.#next[PROTECTED]!;
      this.#moveTo(slot, PROBATION);
    }
  }

  /** Moves `slot` to the most recent end of `queue`, keeping the segment counts. */
  #moveTo(slot: number, queue: number): void {
    const from = this.#queue[slot]!;
    if (from === WINDOW) this.#windowCount--;
    else if (from === PROTECTED) this.#protectedCount--;
    if (queue === WINDOW) this.#windowCount++;
    else if (queue === PROTECTED) this.#protectedCount++;
    this.#unlink(slot);
    this.#queue[slot] = queue;
    this.#linkLast(slot, queue);
  }

  #resizeWindow(entries: number): void {
    if (entries > 0) this.#growWindow(entries);
    else if (entries < 0) this.#shrinkWindow(-entries);
  }

  /** Sets the sketch's aging period from the window size the ghosts settled on. */
  #adaptAging(): void {
    const frequent = this.#windowMax <= this.#capacity * FREQUENT_WINDOW;
    this.#sketch!.setSampleSize(Math.min(this.#maxEntries, this.#slots) * (frequent ? AGING_FREQUENT : 10));
  }

  #growWindow(entries: number): void {
    const quota = Math.min(entries, this.#capacity - 1 - this.#windowMax);
    let moved = 0;
    while (moved < quota) {
      let slot = this.#next[PROBATION]!;
      if (slot === PROBATION) {
        slot = this.#next[PROTECTED]!;
        if (slot === PROTECTED) break;
      }
      this.#moveTo(slot, WINDOW);
      moved++;
    }
    this.#windowMax += moved;
    this.#protectedMax = Math.floor(PROTECTED_SHARE * (this.#capacity - this.#windowMax));
    this.#demoteProtected();
    this.#adaptAging();
  }

  #shrinkWindow(entries: number): void {
    const quota = Math.min(entries, Math.max(0, this.#windowMax - 1));
    let moved = 0;
    while (moved < quota && this.#next[WINDOW] !== WINDOW) {
      this.#moveTo(this.#next[WINDOW]!, PROBATION);
      moved++;
    }
    this.#windowMax -= moved;
    this.#protectedMax = Math.floor(PROTECTED_SHARE * (this.#capacity - this.#windowMax));
    this.#adaptAging();
  }

  /**
   * Whether `slot` has expired. It must not advance the wheel: advancing could release this very slot
   * (and others the caller holds), so the wheel moves only where no slot is held (sets and misses).
   */
  #isExpired(slot: number): boolean {
    const expiresAt = this.#expires![slot]!;
    return expiresAt !== Number.POSITIVE_INFINITY && expiresAt <= this.#clock.now();
  }

  /** Moves the wheel to now (if started) and delivers the expirations it found. */
  #tick(): void {
    if (this.#wheel === undefined) return;
    this.#advance(this.#clock.now());
    this.#flushPending();
  }

  #startWheel(now: number): void {
    this.#wheel = new TimerWheel(BASE + this.#slots, now);
    this.#expires = this.#wheel.expires;
    this.#nextTick = now;
  }

  #advance(now: number): void {
    if (now < this.#nextTick) return;
    this.#nextTick = (Math.floor(now / 64) + 1) * 64;
    this.#wheel!.advance(now, this.#expireFromWheel);
  }

  #expireSlot(slot: number): void {
    this.#expirations++;
    this.#retire(slot, 'expired');
  }

  /**
   * Releases `slot` and queues its `onEvict` call. Calls wait until the public operation has finished:
   * a callback that re-enters the store (a `set` or `delete` from an eviction listener) must never run
   * while an eviction loop still holds slots.
   */
  #retire(slot: number, reason: EvictionReason): void {
    if (this.#onEvict !== undefined) {
      this.#pendingKeys.push(this.#keys[slot]!);
      this.#pendingValues.push(this.#values[slot] as V);
      this.#pendingReasons.push(reason);
    }
    this.#release(slot);
  }

  /** Delivers the queued `onEvict` calls, in eviction order, once the store is consistent again. */
  #flushPending(): void {
    const onEvict = this.#onEvict;
    if (onEvict === undefined || this.#pendingKeys.length === 0) return;
    const keys = this.#pendingKeys;
    const values = this.#pendingValues;
    const reasons = this.#pendingReasons;
    this.#pendingKeys = [];
    this.#pendingValues = [];
    this.#pendingReasons = [];
    for (let i = 0; i < keys.length; i++) onEvict(keys[i]!, values[i]!, reasons[i]!);
  }

  #evictSlot(slot: number): void {
    if (this.#expires !== undefined && this.#expires[slot]! <= this.#now) {
      this.#expireSlot(slot);
      return;
    }
    this.#evictions++;
    this.#retire(slot, 'capacity');
  }

  /** Unlinks `slot` from its list, the wheel and the index, and puts it on the free list. */
  #release(slot: number): void {
    if (slot === this.#victim) this.#victim = NONE;
    const queue = this.#queue[slot]!;
    if (queue === WINDOW) this.#windowCount--;
    else if (queue === PROTECTED) this.#protectedCount--;
    this.#count--;
    this.#unlink(slot);
    this.#index.delete(this.#keys[slot]!);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    if (this.#sizes !== undefined) this.#bytes -= this.#sizes[slot]!;
    this.#wheel?.cancel(slot);
    this.#next[slot] = this.#free;
    this.#free = slot;
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot]!;
    const next = this.#next[slot]!;
    this.#next[prev] = next;
    this.#prev[next] = prev;
  }

  #linkLast(slot: number, sentinel: number): void {
    const last = this.#prev[sentinel]!;
    this.#next[last] = slot;
    this.#prev[slot] = last;
    this.#next[slot] = sentinel;
    this.#prev[sentinel] = slot;
  }

  /** Allocates empty storage for `slots` entries (the constructor and `clear()`). */
  #allocate(slots: number): void {
    const length = BASE + slots;
    this.#slots = slots;
    this.#keys = new Array<string | undefined>(length).fill(undefined);
    this.#values = new Array<V | undefined>(length).fill(undefined);
    this.#prev = new Int32Array(length);
    this.#next = new Int32Array(length);
    this.#queue = new Uint8Array(length);
    this.#hashes = new Int32Array(this.#tinylfu ? length : 0);
    this.#saturated = new Uint8Array(this.#tinylfu ? length : 0);
    this.#sizes = this.#measureBytes ? new Float64Array(length) : undefined;
    for (let s = 0; s < BASE; s++) {
      this.#prev[s] = s;
      this.#next[s] = s;
    }
    this.#top = BASE;
    this.#free = NONE;
    this.#victim = NONE;
    this.#epoch = 0;
  }

  /**
   * Doubles the slot storage (up to `maxEntries + 1`, the one spare slot a new entry uses before its
   * duel). The sketch restarts at the new size, as Caffeine's does while a cache fills; with an entry
   * bound of `Infinity` the window and protected targets scale with the storage.
   */
  #grow(): void {
    const slots = Math.min(this.#slots * 2, this.#maxEntries + 1);
    const length = BASE + slots;
    this.#keys = copyArray(this.#keys, length);
    this.#values = copyArray(this.#values, length);
    this.#prev = copyTyped(new Int32Array(length), this.#prev);
    this.#next = copyTyped(new Int32Array(length), this.#next);
    this.#queue = copyTyped(new Uint8Array(length), this.#queue);
    if (this.#sketch !== undefined) {
      this.#hashes = copyTyped(new Int32Array(length), this.#hashes);
      this.#saturated = copyTyped(new Uint8Array(length), this.#saturated);
    }
    if (this.#sizes !== undefined) this.#sizes = copyTyped(new Float64Array(length), this.#sizes);
    if (this.#wheel !== undefined) {
      this.#wheel.grow(length);
      this.#expires = this.#wheel.expires;
    }
    this.#slots = slots;
    this.#resizePolicy();
  }

  /** Fits the sketch to the storage and, with an entry bound of `Infinity`, scales the policy targets. */
  #resizePolicy(): void {
    if (this.#sketch === undefined) return;
    this.#sketch.resize(Math.min(this.#maxEntries, this.#slots));
    if (this.#epoch !== 0) this.#epoch = this.#sketch.epoch;
    this.#adaptAging();
    if (this.#maxEntries !== Number.POSITIVE_INFINITY) return;
    const scale = this.#slots / this.#capacity;
    this.#capacity = this.#slots;
    this.#windowMax = Math.max(1, Math.round(this.#windowMax * scale));
    this.#protectedMax = Math.floor(PROTECTED_SHARE * (this.#capacity - this.#windowMax));
    this.#ghosts = new GhostClimber(this.#capacity);
  }
}

function copyArray<T>(from: Array<T | undefined>, length: number): Array<T | undefined> {
  const to = new Array<T | undefined>(length).fill(undefined);
  for (let i = 0; i < from.length; i++) to[i] = from[i];
  return to;
}

function copyTyped<T extends Int32Array | Uint8Array | Float64Array>(to: T, from: T): T {
  to.set(from as never);
  return to;
}
