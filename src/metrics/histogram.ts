/**
 * A fixed-memory latency histogram with log-linear buckets (8 sub-buckets per power of two, so a
 * quantile is off by at most ~9%), from 1 µs to about 36 minutes. Recording is O(1) with no allocation.
 *
 * Bucket `i` holds observations up to `bucketUpperMs(i)` = 1 µs × 2^((i+1)/8). Every 8th bucket ends on a
 * power of two of microseconds, so the exported classic buckets ({@link LATENCY_BOUNDS_MS}) are exact sums
 * of internal buckets, and snapshots of several processes merge bucket-wise without loss.
 */
const SUB = 8;
const MIN_MS = 0.001;
const BUCKETS = 32 * SUB;

/**
 * A histogram as plain data (JSON-safe): what `cache.stats()` carries, the fleet heartbeat publishes and
 * {@link mergeHistograms} adds up.
 */
export interface HistogramData {
  /** Weighted number of observations. */
  count: number;
  /** Weighted sum of the observations, in ms. */
  sum: number;
  /** Largest observation, in ms. */
  max: number;
  /** `[bucket index, weighted count]` of the non-empty buckets, in index order. */
  buckets: Array<[index: number, count: number]>;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** The buckets behind the quantiles, for histogram export and merging across processes. */
  histogram: HistogramData;
}

/**
 * Upper bounds in ms of the classic (Prometheus `le`, OpenTelemetry explicit) buckets the adapters export:
 * 2^k µs for k = 2..23, i.e. 4 µs … 8.39 s (+Inf is implicit). Each is the edge of an internal bucket.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from(
  { length: 22 },
  (_, j) => MIN_MS * 2 ** (j + 2),
);

/** The upper bound (ms) of internal bucket `i`. */
export function bucketUpperMs(i: number): number {
  return MIN_MS * 2 ** ((i + 1) / SUB);
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** A histogram holding `data` (e.g. the merge of several processes' snapshots). */
  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.add(data);
    return h;
  }

  /**
   * Records one observation; a sampled one stands for `weight` observations (1 in 16 sampled → 16), so
   * paths sampled at different rates still add up to unbiased quantiles. A negative or NaN `ms`, or a
   * `weight` that is not a positive finite number, is ignored.
   */
  record(ms: number, weight = 1): void {
    if (!(ms >= 0) || !(weight > 0 && weight < Number.POSITIVE_INFINITY)) return;
    this.#count += weight;
    this.#sum += ms * weight;
    if (ms > this.#max) this.#max = ms;
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / MIN_MS) * SUB));
    this.#counts[i]! += weight;
  }

  /** Adds another histogram's data bucket-wise; buckets out of range or with a bad count are ignored. */
  add(data: HistogramData): void {
    for (const [i, n] of data.buckets) {
      if (!Number.isInteger(i) || i < 0 || i >= BUCKETS || !(n > 0 && n < Number.POSITIVE_INFINITY)) continue;
      this.#counts[i]! += n;
    }
    if (data.count > 0) this.#count += data.count;
    if (data.sum > 0) this.#sum += data.sum;
    if (data.max > this.#max) this.#max = data.max;
  }

  /** The upper bound of the bucket holding quantile `q` (0..1), capped by the observed max. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, bucketUpperMs(i));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    return {
      count: this.#count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.#max,
      mean: this.#count === 0 ? 0 : this.#sum / this.#count,
      histogram: this.data(),
    };
  }

  /** The histogram as plain data (a copy). */
  data(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.#counts[i]! > 0) buckets.push([i, this.#counts[i]!]);
    return { count: this.#count, sum: this.#sum, max: this.#max, buckets };
  }

  /** Bucket upper bounds (ms) with cumulative counts, for Prometheus-style exposition. */
  cumulative(): Array<[le: number, count: number]> {
    const out: Array<[number, number]> = [];
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#counts[i] === 0) continue;
      seen += this.#counts[i]!;
      out.push([bucketUpperMs(i), seen]);
    }
    return out;
  }

  get sum(): number {
    return this.#sum;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#max = 0;
  }
}

/**
 * The counts of `data` per classic bucket: entry `j` counts the observations at or below `bounds[j]`
 * (cumulative, as Prometheus `le` buckets) when `cumulative`, else those in (`bounds[j-1]`, `bounds[j]`]
 * (OpenTelemetry explicit buckets); one more entry at the end for the observations above the last bound.
 * `bounds` must be edges of internal buckets (like {@link LATENCY_BOUNDS_MS}) for the counts to be exact.
 */
export function classicBuckets(
  data: HistogramData,
  bounds: readonly number[],
  cumulative: boolean,
): number[] {
  const out = new Array<number>(bounds.length + 1).fill(0);
  let j = 0;
  for (const [i, n] of data.buckets) {
    // An internal bucket belongs to the first classic bucket whose bound is at or above its upper edge
    // (with a little slack for the floating-point powers of two).
    const upper = bucketUpperMs(i);
    while (j < bounds.length && bounds[j]! * (1 + 1e-9) < upper) j++;
    out[j]! += n;
  }
  if (cumulative) for (let k = 1; k < out.length; k++) out[k]! += out[k - 1]!;
  return out;
}

/** Adds histograms bucket-wise (counts and sums add up, the max is the largest); the inputs are not changed. */
export function mergeHistograms(parts: readonly HistogramData[]): HistogramData {
  const h = new Histogram();
  for (const p of parts) h.add(p);
  return h.data();
}
