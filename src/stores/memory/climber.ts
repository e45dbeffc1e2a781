/**
 * The controller that sizes the admission window of the W-TinyLFU memory tier (ARC's idea applied to
 * the window): a miss on a key the window recently pushed out unadmitted, which the filter would refuse
 * again, is a request only a larger window would have served; a miss on a key the main space recently
 * evicted is one a larger main space would have served. Each such miss moves the boundary. The signal
 * is directed, present from the first evictions, and measured on the same requests for both sides, so
 * a change of workload does not pass for the effect of the last move (which is what misled the hill
 * climber on the sampled hit rate this replaced: sprite's hit rate swings by 20 points between
 * samples of a few thousand requests, far more than any window move changes it).
 *
 * Steps have momentum: a ghost hit that agrees with the trend (the mean direction of the last
 * ~{@link TREND_HITS} hits, exponentially weighted, from −1 to 1) moves the boundary by up to
 * {@link MAX_STEP} of the capacity, in proportion to the trend; one that disagrees moves it one entry.
 * The mean is over the hits seen so far while there are fewer than TREND_HITS, so the first hits of a
 * new store already steer it: a cache's first thousands of requests are where the start state costs
 * most (a recency-biased trace loses up to 25 points against LRU there while the window is small). On
 * a stationary frequency-biased workload hits of both kinds alternate, the trend stays near zero and
 * the window holds still; a recency-biased one (sprite needs a window of 60–90 %) sends a steady
 * stream of window-ghost hits and the window opens within a few thousand requests.
 */

// The horizon of the trend, in ghost hits.
const TREND_HITS = 128;
const TREND_KEEP = 1 - 1 / TREND_HITS;
// The largest step, as a share of the capacity (taken when the last hits all point the same way).
const MAX_STEP = 0.02;

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
  readonly #maxStep: number;
  // Decayed sums of the directions of recent ghost hits and of their number: the trend is their ratio.
  #directions = 0;
  #hits = 0;

  constructor(capacity: number) {
    this.#maxStep = MAX_STEP * capacity;
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
   * The window change a miss on the key with hash `hash` asks for: growth when only the window ghost
   * holds it and `wouldLose(hash)` says the admission filter would refuse it again, shrinkage when only
   * the main ghost holds it, else 0. The size of the step follows the trend (see the module comment).
   * A window-ghost hit the filter would now admit moves nothing (the key needs no larger window to stay
   * next time) but still counts toward the trend: it was a miss only a larger window would have
   * served, and on sprite such hits outnumber the others while the window sits far below its best size.
   */
  miss(hash: number, wouldLose: (hash: number) => boolean): number {
    // Both ghosts have the same size, so one pair of bit positions serves both.
    const a = this.#window.first(hash);
    const b = this.#window.second(hash);
    const window = this.#window.has(a, b);
    if (window === this.#main.has(a, b)) return 0;
    const direction = window ? 1 : -1;
    this.#directions = this.#directions * TREND_KEEP + direction;
    this.#hits = this.#hits * TREND_KEEP + 1;
    if (window && !wouldLose(hash)) return 0;
    const agreement = (this.#directions * direction) / this.#hits;
    return agreement > 0 ? direction * Math.max(1, Math.round(agreement * this.#maxStep)) : direction;
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
