/**
 * Spreads expiries so keys written together do not expire together: the TTL is moved uniformly within
 * ±`fraction`·ttl (never below 1 ms).
 */
export function applyJitter(ttlMs: number, fraction: number, random: () => number): number {
  if (fraction === 0 || !Number.isFinite(ttlMs)) return ttlMs;
  return Math.max(1, ttlMs + (random() * 2 - 1) * fraction * ttlMs);
}
