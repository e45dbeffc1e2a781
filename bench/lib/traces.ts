/**
 * Deterministic synthetic key traces for the bench suites, and the two offline bounds a hit ratio is
 * compared with (Belady's clairvoyant optimum, the static ideal LFU). A trace is a `Uint32Array` of key
 * ids; turn ids into string keys with {@link keyNames}.
 */

/** A seeded uniform PRNG in [0, 1) (sfc32); the same seed always yields the same sequence. */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed | 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Samples ranks 0..n-1 with P(rank k) ∝ 1 / (k + 1)^s, by binary search over the cumulative weights. */
export class ZipfSampler {
  readonly #cdf: Float64Array;

  constructor(n: number, s: number) {
    this.#cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / (k + 1) ** s;
      this.#cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.#cdf[k]! /= total;
  }

  /** The rank for a uniform number `u` in [0, 1). */
  sample(u: number): number {
    const cdf = this.#cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * `count` requests over `n` keys with Zipf exponent `s`. Ranks are scattered over the ids by a fixed
 * permutation, so the hottest key is not id 0.
 */
export function zipfTrace(n: number, count: number, s: number, seed: number): Uint32Array {
  const random = createRandom(seed);
  const zipf = new ZipfSampler(n, s);
  const ids = permutation(n, random);
  const trace = new Uint32Array(count);
  for (let i = 0; i < count; i++) trace[i] = ids[zipf.sample(random())]!;
  return trace;
}

/**
 * A Zipf trace interrupted every `period` requests by a scan of `scanLength` keys that are never
 * requested again (ids from `n` upward), as a batch job or crawler would cause.
 */
export function zipfScanTrace(
  n: number,
  count: number,
  s: number,
  seed: number,
  period = 50_000,
  scanLength = 5_000,
): Uint32Array {
  const base = zipfTrace(n, count, s, seed);
  const trace = new Uint32Array(count);
  let nextScanKey = n;
  for (let i = 0; i < count; i++) {
    const inScan = i % period >= period - scanLength;
    trace[i] = inScan ? nextScanKey++ : base[i]!;
  }
  return trace;
}

/**
 * A recency-biased trace: new keys keep arriving (one every `arrivalEvery` requests) and a request picks
 * a key by age with Zipf exponent `s` over the `live` newest keys, as for news items or sessions. Old
 * keys stop being requested however often they were requested before, so frequency history misleads
 * and LRU is near optimal.
 */
export function movingPopularTrace(
  count: number,
  seed: number,
  live = 20_000,
  arrivalEvery = 20,
  s = 0.8,
): Uint32Array {
  const random = createRandom(seed);
  const zipf = new ZipfSampler(live, s);
  const trace = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const newest = live + Math.floor(i / arrivalEvery);
    trace[i] = newest - zipf.sample(random());
  }
  return trace;
}

/**
 * A Zipf trace whose popular set is replaced every `phase` requests (a new permutation of `n` fresh
 * keys), as when a feed or a catalogue rolls over; tests how fast stale frequencies age out.
 */
export function shiftingZipfTrace(
  n: number,
  count: number,
  s: number,
  seed: number,
  phase = 250_000,
): Uint32Array {
  const random = createRandom(seed);
  const zipf = new ZipfSampler(n, s);
  const trace = new Uint32Array(count);
  let ids = permutation(n, random);
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % phase === 0) ids = permutation(n, random).map((id) => id + n * (i / phase));
    trace[i] = ids[zipf.sample(random())]!;
  }
  return trace;
}

function permutation(n: number, random: () => number): Uint32Array {
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return ids;
}

/** One string key per id up to the largest id in the traces, e.g. `key:1234`. */
export function keyNames(...traces: Uint32Array[]): string[] {
  let max = 0;
  for (const trace of traces) for (const id of trace) if (id > max) max = id;
  const names = new Array<string>(max + 1);
  for (let id = 0; id <= max; id++) names[id] = `key:${id}`;
  return names;
}

/**
 * A binary min-heap of (priority, key) pairs for the reference policies below. Entries are never
 * updated in place: a caller pushes a fresh pair and skips stale ones at the top (lazy deletion).
 */
class LazyHeap {
  readonly #priority: number[] = [];
  readonly #key: number[] = [];

  push(priority: number, key: number): void {
    const p = this.#priority;
    const k = this.#key;
    let i = p.length;
    p.push(priority);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (p[parent]! <= priority) break;
      p[i] = p[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    p[i] = priority;
    k[i] = key;
  }

  /** The top pair whose priority `current(key)` still confirms, stale pairs above it dropped. */
  top(current: (key: number) => number | undefined): number {
    for (;;) {
      const key = this.#key[0]!;
      if (current(key) === this.#priority[0]) return key;
      this.pop();
    }
  }

  pop(): void {
    const p = this.#priority;
    const k = this.#key;
    const lastPriority = p.pop()!;
    const lastKey = k.pop()!;
    const size = p.length;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && p[child + 1]! < p[child]!) child++;
      if (p[child]! >= lastPriority) break;
      p[i] = p[child]!;
      k[i] = k[child]!;
      i = child;
    }
    p[i] = lastPriority;
    k[i] = lastKey;
  }
}

/**
 * Belady's optimum hit ratio: on a miss with a full cache, evict the key whose next request is farthest
 * away, or do not admit the new key when its own next request is the farthest (bypass). Uses next-use
 * indexes and a lazy heap, O(n log n).
 */
export function beladyHitRatio(trace: Uint32Array, capacity: number): number {
  const n = trace.length;
  const nextUse = new Float64Array(n);
  const seen = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) {
    const id = trace[i]!;
    nextUse[i] = seen.get(id) ?? Number.POSITIVE_INFINITY;
    seen.set(id, i);
  }
  // Cached key -> its next use; the heap's priority is minus the next use, so its top is the farthest.
  const cached = new Map<number, number>();
  const heap = new LazyHeap();
  const farthestFirst = (key: number): number | undefined => {
    const next = cached.get(key);
    return next === undefined ? undefined : -next;
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const id = trace[i]!;
    const next = nextUse[i]!;
    if (cached.has(id)) {
      hits++;
      cached.set(id, next);
      heap.push(-next, id);
      continue;
    }
    if (cached.size >= capacity) {
      const victim = heap.top(farthestFirst);
      if (cached.get(victim)! <= next) continue;
      cached.delete(victim);
      heap.pop();
    }
    cached.set(id, next);
    heap.push(-next, id);
  }
  return hits / n;
}

/**
 * The online LFU with exact counts, the best a frequency-based policy can do without knowing the
 * future: every key's requests are counted from the start of the trace, and on a miss with a full
 * cache the newcomer replaces the least-counted cached key only if it has been requested more often
 * (ties keep the resident). Unlike the static ideal LFU below it has to learn which keys are popular.
 */
export function onlineLfuHitRatio(trace: Uint32Array, capacity: number): number {
  const counts = new Map<number, number>();
  const cached = new Set<number>();
  const heap = new LazyHeap();
  const cachedCount = (key: number): number | undefined => (cached.has(key) ? counts.get(key) : undefined);
  let hits = 0;
  for (const id of trace) {
    const count = (counts.get(id) ?? 0) + 1;
    counts.set(id, count);
    if (cached.has(id)) {
      hits++;
    } else if (cached.size < capacity) {
      cached.add(id);
    } else {
      const victim = heap.top(cachedCount);
      if (counts.get(victim)! >= count) continue;
      cached.delete(victim);
      heap.pop();
      cached.add(id);
    }
    heap.push(count, id);
  }
  return hits / trace.length;
}

/**
 * The static ideal LFU: the `capacity` keys requested most often over the whole trace are kept for the
 * whole trace. The first request of each is counted as a miss (it has to be loaded), like every other
 * contender's cold misses.
 */
export function idealLfuHitRatio(trace: Uint32Array, capacity: number): number {
  const counts = new Map<number, number>();
  for (const id of trace) counts.set(id, (counts.get(id) ?? 0) + 1);
  const top = [...counts.values()].sort((a, b) => b - a).slice(0, capacity);
  let hits = 0;
  for (const c of top) hits += c - 1;
  return hits / trace.length;
}

/** A copy of `xs` in a random order (Fisher–Yates, driven by `random`). */
export function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
