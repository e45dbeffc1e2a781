/**
 * The TinyLFU admission rule of the memory tier, apart from the sketch that supplies its frequencies.
 *
 * Ties go to the victim: on a loop larger than the cache (glimpse, cs) keeping the resident set is what
 * makes the hits, and a random admission of tied candidates was measured to cost glimpse @ 250 about
 * 9 points of hit ratio.
 */

/** Candidates at least this warm may win a lost duel at random (see {@link admits}). */
export const ADMIT_HASHDOS_THRESHOLD = 6;

/**
 * The TinyLFU admission rule: a candidate replaces the victim when its estimated frequency is higher.
 * A warm candidate (frequency ≥ 6) that loses still wins 1 time in 128, so an attacker who makes a
 * victim look hot through hash collisions cannot lock every newcomer out (Caffeine's defence).
 */
export function admits(candidateFrequency: number, victimFrequency: number, random: () => number): boolean {
  if (candidateFrequency > victimFrequency) return true;
  return candidateFrequency >= ADMIT_HASHDOS_THRESHOLD && Math.floor(random() * 128) === 0;
}
