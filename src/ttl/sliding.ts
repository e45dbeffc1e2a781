/**
 * The new logical expiry of a sliding entry read at `now`: `now + slidingMs`, never past the absolute cap
 * `maxAgeAt` (the entry's creation plus `maxAge`).
 */
export function slideExpiry(now: number, slidingMs: number, maxAgeAt: number): number {
  return Math.min(now + slidingMs, maxAgeAt);
}
