/**
 * A fixed-memory latency histogram with log-linear buckets (8 sub-buckets per power of two, so a
 * quantile is off by at most ~9%), from 1 µs to about 36 minutes. Recording is O(1) with no allocation.
 */
const SUB = 8;
const MIN_MS = 0.001;
const BUCKETS = 32 * SUB;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

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

  /** The upper bound of the bucket holding quantile `q` (0..1), capped by the observed max. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, MIN_MS * 2 ** ((i + 1) / SUB));
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
    };
  }

  /** Bucket upper bounds (ms) with cumulative counts, for Prometheus-style exposition. */
  cumulative(): Array<[le: number, count: number]> {
    const out: Array<[number, number]> = [];
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#counts[i] === 0) continue;
      seen += this.#counts[i]!;
      out.push([MIN_MS * 2 ** ((i + 1) / SUB), seen]);
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
