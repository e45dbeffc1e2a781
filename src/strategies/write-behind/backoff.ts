/** Retry policy of a write-behind queue. */
export interface RetryOptions {
  /**
   * Attempts of an entry before it is dead-lettered (counted while it is alone in its batch, so a
   * poison neighbour never dead-letters a good entry). `Infinity` retries forever.
   * @default 8
   */
  attempts?: number;
  /** Delay before the first retry, in ms. @default 100 */
  baseDelayMs?: number;
  /** Cap of the exponential delay, in ms. @default 30000 */
  maxDelayMs?: number;
  /** Fraction of each delay that is randomized (0 = none, 1 = full jitter). @default 0.5 */
  jitter?: number;
}

/** Resolved {@link RetryOptions}. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

/**
 * The delay before retry number `attempt` (1-based): `baseDelayMs · 2^(attempt-1)`, capped at
 * `maxDelayMs`, then reduced by up to `jitter` of itself so retries of many writers spread out.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return exp * (1 - policy.jitter * random());
}
