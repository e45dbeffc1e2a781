/**
 * Probabilistic early expiration (XFetch, Vattani et al. 2015): refresh when
 * `now − β·δ·ln(rand) ≥ expiry`, where δ is the measured loader time. Slow loaders and larger β refresh
 * earlier; the chance rises smoothly towards the expiry, so one caller refreshes before a hot key expires
 * instead of all of them at the moment it does.
 */
export function shouldRefreshEarly(
  now: number,
  expiresAt: number,
  deltaMs: number,
  beta: number,
  random: () => number,
): boolean {
  if (deltaMs <= 0 || beta <= 0) return false;
  const r = random();
  // ln(0) is -Infinity: treat a zero draw as the smallest positive one.
  return now - beta * deltaMs * Math.log(r > 0 ? r : Number.MIN_VALUE) >= expiresAt;
}
