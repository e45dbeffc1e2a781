/** The source of time for everything that expires; tests inject a manual clock instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch (may be fractional). */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
