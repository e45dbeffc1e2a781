/**
 * A hierarchical timer wheel over slot indexes: it finds expired entries without scanning the others.
 *
 * Five levels of buckets with ticks of 64 ms, 4.1 s, 4.4 min, 4.7 h and 12.4 days (64 buckets each,
 * one overflow bucket at the top), as in Caffeine's `TimerWheel`. An entry sits in the bucket of the
 * coarsest level whose tick is finer than its remaining time; when time passes a bucket, its entries
 * are expired or cascade down to a finer level. Each bucket is a circular doubly-linked list threaded
 * through two `Int32Array`s, so scheduling and cancelling are O(1) and allocate nothing.
 *
 * The wheel owns no timer: it advances when the store calls {@link TimerWheel.advance} during normal
 * operations, so it never keeps a process alive.
 */
export class TimerWheel {
  /** Expiry time (ms) of every slot; `Infinity` when the slot is not scheduled. */
  expires: Float64Array;
  #next: Int32Array;
  #prev: Int32Array;
  #time: number;

  constructor(slots: number, now: number) {
    this.expires = new Float64Array(slots).fill(Number.POSITIVE_INFINITY);
    this.#next = new Int32Array(SENTINELS + slots).fill(-1);
    this.#prev = new Int32Array(SENTINELS + slots).fill(-1);
    for (let s = 0; s < SENTINELS; s++) {
      this.#next[s] = s;
      this.#prev[s] = s;
    }
    this.#time = now;
  }

  /** Makes room for `slots` slots, keeping every scheduled one. */
  grow(slots: number): void {
    const expires = new Float64Array(slots).fill(Number.POSITIVE_INFINITY);
    expires.set(this.expires);
    this.expires = expires;
    const next = new Int32Array(SENTINELS + slots).fill(-1);
    next.set(this.#next);
    this.#next = next;
    const prev = new Int32Array(SENTINELS + slots).fill(-1);
    prev.set(this.#prev);
    this.#prev = prev;
  }

  /** Schedules `slot` to expire at `time` (ms), replacing an earlier schedule. */
  schedule(slot: number, time: number): void {
    this.cancel(slot);
    this.expires[slot] = time;
    if (time !== Number.POSITIVE_INFINITY) this.#link(SENTINELS + slot, time);
  }

  /** Removes `slot` from the wheel (a no-op when it is not scheduled). */
  cancel(slot: number): void {
    this.expires[slot] = Number.POSITIVE_INFINITY;
    const node = SENTINELS + slot;
    const next = this.#next[node]!;
    if (next === -1) return;
    const prev = this.#prev[node]!;
    this.#next[prev] = next;
    this.#prev[next] = prev;
    this.#next[node] = -1;
    this.#prev[node] = -1;
  }

  /**
   * Moves the wheel to `now` and calls `onExpired(slot)` for each slot found expired in the buckets that
   * time has passed; the slot is already unlinked then. Not-yet-expired entries cascade to finer buckets.
   */
  advance(now: number, onExpired: (slot: number) => void): void {
    const previous = this.#time;
    if (!(now > previous)) return;
    this.#time = now;
    for (let level = 0; level < LEVELS; level++) {
      const tick = TICKS[level]!;
      const previousTicks = Math.floor(previous / tick);
      const delta = Math.floor(now / tick) - previousTicks;
      if (delta <= 0) break;
      this.#expireLevel(level, previousTicks, delta, now, onExpired);
    }
  }

  #expireLevel(
    level: number,
    previousTicks: number,
    delta: number,
    now: number,
    onExpired: (slot: number) => void,
  ): void {
    const buckets = BUCKETS[level]!;
    const offset = OFFSETS[level]!;
    const steps = Math.min(1 + delta, buckets);
    const start = previousTicks % buckets;
    const next = this.#next;
    const prev = this.#prev;
    for (let i = start; i < start + steps; i++) {
      const sentinel = offset + (i % buckets);
      let node = next[sentinel]!;
      next[sentinel] = sentinel;
      prev[sentinel] = sentinel;
      while (node !== sentinel) {
        const after = next[node]!;
        next[node] = -1;
        prev[node] = -1;
        const slot = node - SENTINELS;
        const time = this.expires[slot]!;
        if (time <= now) {
          this.expires[slot] = Number.POSITIVE_INFINITY;
          onExpired(slot);
        } else {
          this.#link(node, time);
        }
        node = after;
      }
    }
  }

  #link(node: number, time: number): void {
    const remaining = time - this.#time;
    let sentinel = OFFSETS[LEVELS - 1]!;
    for (let level = 0; level < LEVELS - 1; level++) {
      if (remaining < TICKS[level + 1]!) {
        sentinel = OFFSETS[level]! + (Math.floor(time / TICKS[level]!) % BUCKETS[level]!);
        break;
      }
    }
    const last = this.#prev[sentinel]!;
    this.#next[last] = node;
    this.#prev[node] = last;
    this.#next[node] = sentinel;
    this.#prev[sentinel] = node;
  }
}

const TICKS = [2 ** 6, 2 ** 12, 2 ** 18, 2 ** 24, 2 ** 30] as const;
const BUCKETS = [64, 64, 64, 64, 1] as const;
const OFFSETS = [0, 64, 128, 192, 256] as const;
const LEVELS = TICKS.length;
const SENTINELS = 257;
