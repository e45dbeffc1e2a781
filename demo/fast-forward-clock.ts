import type { Clock } from 'stratacache';

/**
 * Wall-clock time plus an offset the demo can move forward, so five minutes of cache time pass in an
 * instant instead of making the reader wait (timers and latencies still run on real time).
 */
export class FastForwardClock implements Clock {
  #offset = 0;

  now(): number {
    return Date.now() + this.#offset;
  }

  /** Moves this clock `ms` milliseconds ahead of the wall clock. */
  advance(ms: number): void {
    this.#offset += ms;
  }
}
