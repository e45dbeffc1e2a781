/** The source of time for everything that expires; tests inject a manual clock instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch (may be fractional). */
  now(): number;
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
