import type { Clock } from '../ttl/clock.js';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default: `DEFAULT_CACHE_OPTIONS.circuitBreaker.failures` (5). */
  failures?: number;
  /** Ms the circuit stays open before one probe is let through. Default: `DEFAULT_CACHE_OPTIONS.circuitBreaker.resetMs` (250). */
  resetMs?: number;
}

/**
 * Stops calling a failing dependency: after `failures` consecutive failures the circuit opens and calls
 * fail at once; after `resetMs` one probe is allowed (half-open) and its success closes the circuit.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #openedAt = -1;
  #probing = false;

  constructor(options: Required<CircuitBreakerOptions>, clock: Clock) {
    this.#threshold = options.failures;
    this.#resetMs = options.resetMs;
    this.#clock = clock;
  }

  get open(): boolean {
    return this.#openedAt >= 0;
  }

  /** True if a call may be made now (closed, or the one probe of a half-open circuit). */
  allow(): boolean {
    if (this.#openedAt < 0) return true;
    if (this.#probing || this.#clock.now() - this.#openedAt < this.#resetMs) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = -1;
    this.#probing = false;
  }

  failure(): void {
    this.#failures++;
    if (this.#probing || this.#failures >= this.#threshold) this.#openedAt = this.#clock.now();
    this.#probing = false;
  }
}
