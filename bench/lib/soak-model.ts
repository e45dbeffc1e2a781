/**
 * The bookkeeping of the soak suite (bench/suites/soak.ts), all in fixed memory so that the harness
 * itself does not grow the heap it measures: a log-bucket latency histogram, the model of the data the
 * loader reads (a revision per tag and per namespace, bumped before each invalidation) with the history
 * needed to say which invalidations a read must respect, and the ideal loader-call count (one per key
 * per invalidation, version change or expiry).
 */

/** Latencies in ms in buckets 3 % wide (0.01 ms to ~2 min), plus the exact count and max. */
export class LatencyHistogram {
  static readonly #BASE = 0.01;
  static readonly #RATIO = Math.log(1.03);
  readonly #buckets = new Float64Array(560);
  count = 0;
  max = 0;

  record(ms: number): void {
    const i =
      ms <= LatencyHistogram.#BASE
        ? 0
        : Math.ceil(Math.log(ms / LatencyHistogram.#BASE) / LatencyHistogram.#RATIO);
    this.#buckets[Math.min(i, this.#buckets.length - 1)]! += 1;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The upper bound of the bucket holding the p-th percentile (never above the exact max). */
  quantile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank)
        return Math.min(this.max, LatencyHistogram.#BASE * Math.exp(i * LatencyHistogram.#RATIO));
    }
    return this.max;
  }
}

/** A key of the soak's key set and what its value depends on. */
export interface KeySpec {
  readonly name: string;
  /** Tags passed to getOrSet. */
  readonly tags: readonly string[];
  /** Index of the namespace the key lives in, or undefined for the root cache. */
  readonly ns: number | undefined;
  /** Read with `version` (the current schema version). */
  readonly versioned: boolean;
  /** Model marks the value depends on: its tags, then `ns:<i>` if namespaced. */
  readonly marks: readonly string[];
}

/** What the loader returns: the revisions of the key's marks when it ran. */
export interface SoakValue {
  key: string;
  revs: number[];
  version: number;
  /** The instance whose loader produced it, and when (`performance.now()`): for failure reports. */
  by: number;
  at: number;
  payload: string;
}

/** One invalidation of a mark (a tag or a namespace), as the checker needs it. */
interface Invalidation {
  rev: number;
  issuer: number;
  startedAt: number;
  resolvedAt: number;
}

/** Invalidations kept per mark: enough to cover the worst-case bound at the soak's rates. */
const HISTORY = 64;

/** Verdict of a read against the model. */
export type Verdict =
  | { ok: true }
  | { ok: false; reason: 'wrong-key' | 'wrong-version' }
  /**
   * Older than an invalidation due by `t` (the one described: see `check`), `lateMs` after it resolved.
   * `strict`: it is the reader's own, or no fault window overlapped it and the read (else the documented
   * outage bound, the entry's TTL, applies).
   */
  | {
      ok: false;
      reason: 'stale';
      lateMs: number;
      sameInstance: boolean;
      strict: boolean;
      /** The mark of the oldest invalidation missed, the revision read and the one due. */
      mark: string;
      have: number;
      due: number;
      /** ms from that invalidation's start to its resolution, and to the value's load. */
      tookMs: number;
      loadedMs: number;
    };

/**
 * The source of truth: a revision per mark. `bump` happens before the cache is told, so a loader that
 * started after the invalidation was requested reads the new revision.
 */
export class SourceModel {
  readonly #revs = new Map<string, number>();
  readonly #history = new Map<string, Invalidation[]>();
  /** Bound within which another instance must see an invalidation (no fault involved). */
  readonly #otherBoundMs: number;
  /** Is a fault (window) overlapping [from, to]? */
  readonly #faultBetween: (from: number, to: number) => boolean;

  constructor(otherBoundMs: number, faultBetween: (from: number, to: number) => boolean) {
    this.#otherBoundMs = otherBoundMs;
    this.#faultBetween = faultBetween;
  }

  rev(mark: string): number {
    return this.#revs.get(mark) ?? 0;
  }

  /** The value the loader returns for `spec` now. */
  produce(spec: KeySpec, version: number, by: number, at: number, payload: string): SoakValue {
    return { key: spec.name, revs: spec.marks.map((m) => this.rev(m)), version, by, at, payload };
  }

  /** The data behind `mark` changed; returns the new revision (record it once the cache was told). */
  bump(mark: string): number {
    const rev = this.rev(mark) + 1;
    this.#revs.set(mark, rev);
    return rev;
  }

  /** The cache call invalidating `mark` at revision `rev` by instance `issuer` resolved. */
  record(mark: string, rev: number, issuer: number, startedAt: number, resolvedAt: number): void {
    const h = this.#history.get(mark) ?? [];
    this.#history.set(mark, h);
    h.push({ rev, issuer, startedAt, resolvedAt });
    if (h.length > HISTORY) h.shift();
  }

  /**
   * Checks a value read by instance `reader` in a call started at `t`: it must be the key's, of the version
   * asked, and at least as new as every invalidation the reader must respect by then — its own once
   * resolved, another instance's `otherBoundMs` after it resolved.
   */
  check(spec: KeySpec, value: SoakValue | undefined, version: number, reader: number, t: number): Verdict {
    if (value?.key !== spec.name) return { ok: false, reason: 'wrong-key' };
    if (spec.versioned && value.version !== version) return { ok: false, reason: 'wrong-version' };
    // The missed invalidation reported: a strict one (the reader's own, or no fault involved) if any,
    // else the one resolved longest ago.
    let found: Omit<Extract<Verdict, { reason: 'stale' }>, 'ok' | 'reason'> | undefined;
    for (const [i, mark] of spec.marks.entries()) {
      const have = value.revs[i] ?? -1;
      for (const inv of this.#history.get(mark) ?? []) {
        if (inv.rev <= have) continue;
        const same = inv.issuer === reader;
        if ((same ? inv.resolvedAt : inv.resolvedAt + this.#otherBoundMs) > t) continue;
        const lateMs = t - inv.resolvedAt;
        const strict = same || !this.#faultBetween(inv.startedAt, t);
        if (
          found !== undefined &&
          ((found.strict && !strict) || (found.strict === strict && found.lateMs >= lateMs))
        )
          continue;
        found = {
          lateMs,
          sameInstance: same,
          strict,
          mark,
          have,
          due: inv.rev,
          tookMs: inv.resolvedAt - inv.startedAt,
          loadedMs: value.at - inv.startedAt,
        };
      }
    }
    return found === undefined ? { ok: true } : { ok: false, reason: 'stale', ...found };
  }
}

/**
 * The ideal loader-call count: one shared cache with no capacity limit and no faults would load a key
 * once per change of what its value depends on (a mark's revision, the version) and once per TTL.
 */
export class IdealLoads {
  readonly #ttlMs: number;
  readonly #state = new Map<string, { at: number; sig: string }>();
  count = 0;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Notes a read of `spec` at `t`; returns true if the ideal cache would have loaded. */
  read(spec: KeySpec, model: SourceModel, version: number, t: number): boolean {
    let sig = spec.versioned ? `v${version}` : '';
    for (const m of spec.marks) sig += `,${model.rev(m)}`;
    const s = this.#state.get(spec.name);
    if (s !== undefined && s.sig === sig && t - s.at < this.#ttlMs) return false;
    this.#state.set(spec.name, { at: t, sig });
    this.count++;
    return true;
  }
}
