/**
 * Pure freshness predicates over an entry's times: what the read path, stale-while-revalidate and
 * fail-safe decide, as named functions a test can call without a cache.
 */

export const FRESH = 0;
export const STALE = 1;
export const DEAD = 2;
/** Fresh (serve), stale (a fallback within grace / stale-while-revalidate), or dead (a miss). */
export type State = typeof FRESH | typeof STALE | typeof DEAD;

/** The times of an entry that decide its state. */
export interface EntryTimes {
  /** Logical expiry: fresh until then. */
  readonly expiresAt: number;
  /** Physical expiry: a stale fallback until then. */
  readonly staleUntil: number;
}

/** The state of an entry at `now` by its times alone (tags and versions are checked by the caller). */
export function freshness(e: EntryTimes, now: number): State {
  if (now < e.expiresAt) return FRESH;
  return now < e.staleUntil ? STALE : DEAD;
}

/** True while a stale entry may be served as the key refreshes in the background. */
export function inSwrWindow(e: EntryTimes, now: number, swrMs: number): boolean {
  return now < e.expiresAt + swrMs;
}

/** True while an entry may still stand in for a failed or slow load (grace). */
export function withinGrace(e: EntryTimes, now: number): boolean {
  return now < e.staleUntil;
}

/**
 * The expiry a fail-safe value gets: served again for `backoffMs` (so a failing source is retried at
 * most that often), never past its grace.
 */
export function failSafeExpiry(e: EntryTimes, now: number, backoffMs: number): number {
  return Math.min(now + backoffMs, e.staleUntil);
}
