import { seeded } from '../test/helpers/clock.js';

/**
 * Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s (a Zipf law), by binary search in a
 * precomputed cumulative table: O(n) memory once, O(log n) per draw.
 */
export class ZipfSampler {
  readonly #cdf: Float64Array;
  readonly #random: () => number;

  constructor(n: number, s: number, random: () => number) {
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += 1 / (i + 1) ** s;
      this.#cdf[i] = sum;
    }
    for (let i = 0; i < n; i++) this.#cdf[i] = this.#cdf[i]! / sum;
    this.#random = random;
  }

  /** The next rank (0 is the most popular). */
  next(): number {
    const u = this.#random();
    let lo = 0;
    let hi = this.#cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * A deterministic stream of product ids: Zipf ranks mapped through a seeded shuffle of 1..n, so the
 * popular products are scattered over the catalog instead of being ids 1, 2, 3.
 */
export function zipfProductStream(
  count: number,
  products: number,
  s: number,
  seed: number,
): { ids: Int32Array; byPopularity: Int32Array } {
  const random = seeded(seed);
  const byPopularity = new Int32Array(products);
  for (let i = 0; i < products; i++) byPopularity[i] = i + 1;
  for (let i = products - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = byPopularity[i]!;
    byPopularity[i] = byPopularity[j]!;
    byPopularity[j] = t;
  }
  const sampler = new ZipfSampler(products, s, random);
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = byPopularity[sampler.next()]!;
  return { ids, byPopularity };
}
