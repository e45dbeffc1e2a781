import type { Clock } from '../ttl/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A {@link Clock} that moves only when told to, for tests that would otherwise sleep: pass it as the
 * cache's `clock` and `advance(ms)` runs every timer that falls due (soft/hard loader timeouts, lease
 * renewal, write-behind flushes) in time order, with `now()` reading each timer's own due time while it
 * runs. Timers a timer schedules run in the same `advance` if they fall due within it.
 *
 * ```ts
 * const clock = new ManualClock();
 * const cache = new Cache({ clock });
 * clock.advance(60_000); // a minute passes, instantly
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Pending>();

  constructor(start = 1_700_000_000_000) {
    if (!Number.isFinite(start)) throw new RangeError(`Expected a finite start time in ms, got ${start}`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const seq = ++this.#seq;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(seq, { at: this.#now + delay, seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /** Timers scheduled and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms` (≥ 0), running due timers in order of due time (then scheduling order). A
   * timer that throws stops the advance with its error; the clock stays at that timer's time.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Expected advance(ms) with a finite ms ≥ 0, got ${ms}`);
    }
    const until = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(until);
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }

  /**
   * Advances like {@link advance} in steps of `stepMs`, letting promise callbacks run between steps (an
   * `await` after each), so work a timer starts can schedule further timers that the same call reaches.
   */
  async advanceAsync(ms: number, stepMs = ms): Promise<void> {
    if (!Number.isFinite(stepMs) || stepMs <= 0) {
      throw new RangeError(`Expected stepMs to be a finite number > 0, got ${stepMs}`);
    }
    let left = ms;
    do {
      const step = Math.min(stepMs, left);
      this.advance(step);
      left -= step;
      await new Promise<void>((r) => setImmediate(r));
    } while (left > 0);
  }

  #nextDue(until: number): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > until) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
