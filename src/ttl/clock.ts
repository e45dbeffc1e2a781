/**
 * The source of time for everything that expires and for the cache's own timers (soft/hard loader
 * timeouts, lease renewal, write-behind flushes); tests inject a manual clock (`ManualClock` in
 * `stratacache/testing`) instead of sleeping. Network timeouts (a remote call's deadline, reconnects)
 * and the bounds on `close()` stay on the event loop's timers: the socket and the process shutdown they
 * guard run on real time.
 */
export interface Clock {
  /** Milliseconds since the epoch (may be fractional). */
  now(): number;
  /**
   * Calls `fn` once, `ms` of this clock's time from now; returns a handle for `clearTimeout`. Absent,
   * the event loop's `setTimeout` is used. Provide both methods or neither.
   */
  setTimeout?(fn: () => void, ms: number): unknown;
  /** Cancels a handle `setTimeout` returned; a handle that already fired or was cleared is ignored. */
  clearTimeout?(handle: unknown): void;
}

/** A timer scheduled on a {@link Clock}: `cancel()` is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Runs `fn` after `ms` on `clock`'s timers (the event loop's when the clock has none). `unref`: the timer
 * does not keep the process alive (where the host's handle supports it).
 */
export function runAfter(clock: Clock, ms: number, fn: () => void, unref = false): ClockTimer {
  if (clock.setTimeout !== undefined && clock.clearTimeout !== undefined) {
    const handle = clock.setTimeout(fn, ms);
    if (unref) (handle as { unref?: () => void } | undefined)?.unref?.();
    const clear = clock.clearTimeout.bind(clock);
    return { cancel: () => clear(handle) };
  }
  const t = setTimeout(fn, ms);
  if (unref) t.unref();
  return { cancel: () => clearTimeout(t) };
}

/** Runs `fn` every `ms` on `clock`'s timers until cancelled (each run schedules the next). */
export function runEvery(clock: Clock, ms: number, fn: () => void, unref = false): ClockTimer {
  let current: ClockTimer | undefined;
  let cancelled = false;
  const tick = (): void => {
    if (cancelled) return;
    current = runAfter(clock, ms, tick, unref);
    fn();
  };
  current = runAfter(clock, ms, tick, unref);
  return {
    cancel: () => {
      cancelled = true;
      current?.cancel();
    },
  };
}

/**
 * Reading the OS clock costs tens of nanoseconds on a VM — more than an L1 hit. The default clock
 * keeps the last reading for at most 1 ms (an unref'd timer forgets it, so it never keeps a process
 * alive) and at most 1,024 reads (so a long synchronous loop still sees time move).
 */
const MAX_READS = 1024;
let cached = 0;
let reads = MAX_READS;
let forgetPending = false;
const forget = (): void => {
  reads = MAX_READS;
  forgetPending = false;
};

export const systemClock: Clock = Object.freeze({
  now(): number {
    if (++reads <= MAX_READS) return cached;
    cached = Date.now();
    reads = 0;
    if (!forgetPending) {
      forgetPending = true;
      setTimeout(forget, 1).unref();
    }
    return cached;
  },
});
