/**
 * The two controllers that size the admission window of the W-TinyLFU memory tier. Both return a
 * change of window size in entries (positive grows the window); the store applies it.
 *
 * - {@link HillClimber} (Caffeine's): every sample period, keep moving the boundary in the direction
 *   that raised the hit rate, with decaying steps and a restart after a large change. It settles
 *   frequency-biased workloads at a small window, but it needs many samples of thousands of requests
 *   before its noise averages out, so on its own a long recency-biased trace (sprite) leaves the window
 *   far below the size LRU-like behaviour needs.
 * - {@link GhostClimber} (ARC's idea applied to the window): a miss on a key the window recently pushed
 *   out unadmitted, which the filter would refuse again, is a request only a larger window would have
 *   served; a miss on a key the main space recently evicted is one a larger main space would have
 *   served. Each such miss moves the boundary one entry. The signal is directed and present from the
 *   first evictions, and one entry per ghost hit keeps it from dragging a stationary workload around.
 */

const HILL_STEP = 0.0625;
const HILL_RESTART = 0.05;
const HILL_DECAY = 0.98;
// A change of hit rate smaller than this many standard deviations of sampling noise is no signal.
const HILL_NOISE = 3;

/** Hill climbing on the hit rate of successive samples (see the module comment). */
export class HillClimber {
  #previousHitRate = 0;
  #stepSize: number;
  readonly #fullStep: number;

  constructor(capacity: number) {
    this.#fullStep = HILL_STEP * capacity;
    // The window starts small; the first move is a shrink, so a frequency-biased workload stays there.
    this.#stepSize = -this.#fullStep;
  }

  /**
   * The window change after a sample of `requests` requests with `misses` misses. A sample taken before
   * the store is half full (`warm` false) only resets the reference hit rate.
   */
  sample(requests: number, misses: number, warm: boolean): number {
    if (!warm) {
      this.#previousHitRate = 0;
      return 0;
    }
    const hitRate = (requests - misses) / requests;
    const change = hitRate - this.#previousHitRate;
    const noise = HILL_NOISE * Math.sqrt((2 * hitRate * (1 - hitRate)) / requests);
    if (this.#previousHitRate !== 0 && Math.abs(change) < noise) {
      // Within noise: no move, and a smaller next step, so a stationary workload does not wander.
      this.#stepSize *= HILL_DECAY;
      this.#previousHitRate = hitRate;
      return 0;
    }
    const amount = change >= 0 ? this.#stepSize : -this.#stepSize;
    this.#stepSize =
      Math.abs(change) >= HILL_RESTART ? this.#fullStep * (amount >= 0 ? 1 : -1) : HILL_DECAY * amount;
    this.#previousHitRate = hitRate;
    return Math.trunc(amount);
  }
}

// Each ghost remembers the last `GHOST_DEPTH × capacity` to twice that many evictions of its kind (at
// least GHOST_MIN): the marginal entries a step of the boundary would add to either side, not the
// whole history (deeper ghosts let a frequency-biased workload's returning candidates pull the window
// wide open).
const GHOST_DEPTH = 0.02;
const GHOST_MIN = 8;

/** Ghost hits on either side of the window boundary (see the module comment). */
export class GhostClimber {
  readonly #window: GhostSet;
  readonly #main: GhostSet;

  constructor(capacity: number) {
    const generation = Math.max(GHOST_MIN, Math.ceil(capacity * GHOST_DEPTH));
    this.#window = new GhostSet(generation);
    this.#main = new GhostSet(generation);
  }

  /** Records a window entry evicted without admission to the main space. */
  rejected(hash: number): void {
    this.#window.add(hash);
  }

  /** Records a main-space entry evicted for capacity. */
  evicted(hash: number): void {
    this.#main.add(hash);
  }

  /**
   * The window change a miss on the key with hash `hash` asks for: +1 when only the window ghost holds
   * it and `wouldLose(hash)` says the admission filter would refuse it again (a key the filter would
   * now admit needs no larger window), −1 when only the main ghost holds it, else 0.
   */
  miss(hash: number, wouldLose: (hash: number) => boolean): number {
    // Both ghosts have the same size, so one pair of bit positions serves both.
    const a = this.#window.first(hash);
    const b = this.#window.second(hash);
    const window = this.#window.has(a, b);
    if (window === this.#main.has(a, b)) return 0;
    if (!window) return -1;
    return wouldLose(hash) ? 1 : 0;
  }
}

// Bits per remembered hash in each generation; with two probes about 0.1 % false positives (a long scan
// of never-repeated keys must not move the window through false ghost hits).
const BITS_PER_KEY = 64;
// A small store's ghosts still get 256 bytes each, so that their few keys hardly ever collide.
const MIN_BITS = 2048;

/**
 * An approximate set of the last `generation` to `2 × generation` hashes added: two Bloom bit sets,
 * the current generation and the previous one (about 4 bytes per remembered hash in all).
 */
class GhostSet {
  #current: Int32Array;
  #previous: Int32Array;
  readonly #mask: number;
  readonly #generation: number;
  #added = 0;

  constructor(generation: number) {
    const bits = Math.max(MIN_BITS, 2 ** Math.ceil(Math.log2(generation * BITS_PER_KEY)));
    this.#current = new Int32Array(bits >>> 5);
    this.#previous = new Int32Array(bits >>> 5);
    this.#mask = bits - 1;
    this.#generation = generation;
  }

  first(hash: number): number {
    return hash & this.#mask;
  }

  second(hash: number): number {
    return probe(hash) & this.#mask;
  }

  add(hash: number): void {
    const t = this.#current;
    const a = hash & this.#mask;
    const b = probe(hash) & this.#mask;
    t[a >>> 5] = t[a >>> 5]! | (1 << (a & 31));
    t[b >>> 5] = t[b >>> 5]! | (1 << (b & 31));
    if (++this.#added >= this.#generation) {
      this.#added = 0;
      const old = this.#previous;
      old.fill(0);
      this.#previous = t;
      this.#current = old;
    }
  }

  /** Whether the bit positions `a` and `b` of a hash ({@link GhostSet.first}, `second`) are set. */
  has(a: number, b: number): boolean {
    return contains(this.#current, a, b) || contains(this.#previous, a, b);
  }
}

function contains(t: Int32Array, a: number, b: number): boolean {
  return ((t[a >>> 5]! >>> (a & 31)) & 1) === 1 && ((t[b >>> 5]! >>> (b & 31)) & 1) === 1;
}

/** A second, independent probe from the same 32-bit hash. */
function probe(hash: number): number {
  const x = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  return x ^ (x >>> 15);
}
