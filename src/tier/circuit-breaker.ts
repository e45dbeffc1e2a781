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
 *
 * {@link ready} moves the probe forward: when the dependency reports it is reachable again (a connection
 * became ready), the next call is the probe, without waiting out the rest of `resetMs`.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #open = false;
  /** The clock time from which an open circuit lets its probe through. */
  #probeAt = 0;
  #probing = false;
  /** `ready()` came while the probe was in flight: that probe was sent too early to count. */
  #readyWhileProbing = false;

  constructor(options: Required<CircuitBreakerOptions>, clock: Clock) {
    this.#threshold = options.failures;
    this.#resetMs = options.resetMs;
    this.#clock = clock;
  }

  get open(): boolean {
    return this.#open;
  }

  /** True if a call may be made now (closed, or the one probe of a half-open circuit). */
  allow(): boolean {
    if (!this.#open) return true;
    if (this.#probing || this.#clock.now() < this.#probeAt) return false;
    this.#probing = true;
    this.#readyWhileProbing = false;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#open = false;
    this.#probing = false;
  }

  failure(): void {
    this.#failures++;
    if (this.#probing) {
      // A probe sent before the dependency said it was ready (a client still reconnecting fails it at
      // once): the next call probes again instead of waiting another `resetMs`.
      this.#probeAt = this.#readyWhileProbing ? this.#clock.now() : this.#clock.now() + this.#resetMs;
    } else if (!this.#open && this.#failures >= this.#threshold) {
      this.#open = true;
      this.#probeAt = this.#clock.now() + this.#resetMs;
    }
    this.#probing = false;
    this.#readyWhileProbing = false;
  }

  /**
   * The dependency reports it is reachable again: an open circuit lets its probe through on the next call
   * (one probe, as after `resetMs`); a closed circuit is unchanged.
   */
  ready(): void {
    if (!this.#open) return;
    if (this.#probing) this.#readyWhileProbing = true;
    else this.#probeAt = this.#clock.now();
  }
}
