import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEAD,
  FRESH,
  failSafeExpiry,
  freshness,
  inSwrWindow,
  STALE,
  withinGrace,
} from '../../../src/ttl/freshness.js';

/** Entry times with expiresAt ≤ staleUntil, as the cache writes them, and a probe time around them. */
const times = fc
  .tuple(fc.integer({ min: 0, max: 1e12 }), fc.nat(1e9), fc.nat(1e9))
  .map(([expiresAt, grace, probe]) => ({
    e: { expiresAt, staleUntil: expiresAt + grace },
    before: expiresAt - 1 - (probe % 1000),
    probe: expiresAt + probe,
  }));

describe('freshness', () => {
  it('is fresh strictly before expiresAt, stale until staleUntil, dead from staleUntil on', () => {
    const e = { expiresAt: 100, staleUntil: 150 };
    expect([99, 100, 149, 150, 151].map((t) => freshness(e, t))).toEqual([FRESH, STALE, STALE, DEAD, DEAD]);
    // No grace: expiry goes straight to dead.
    expect(freshness({ expiresAt: 100, staleUntil: 100 }, 100)).toBe(DEAD);
  });

  it('agrees with withinGrace: a non-fresh entry is stale exactly when it is within grace', () => {
    fc.assert(
      fc.property(times, ({ e, before, probe }) => {
        expect(freshness(e, before)).toBe(FRESH);
        const s = freshness(e, probe);
        expect(s === STALE).toBe(withinGrace(e, probe));
        expect(s === DEAD).toBe(!withinGrace(e, probe));
      }),
    );
  });

  it('never moves back: once dead an entry stays dead, once stale it is never fresh again', () => {
    fc.assert(
      fc.property(times, fc.nat(1e9), ({ e, probe }, later) => {
        expect(freshness(e, probe + later)).toBeGreaterThanOrEqual(freshness(e, probe));
      }),
    );
  });
});

describe('inSwrWindow', () => {
  it('holds until expiresAt + the window, exclusive', () => {
    const e = { expiresAt: 1000, staleUntil: 5000 };
    expect(inSwrWindow(e, 1499, 500)).toBe(true);
    expect(inSwrWindow(e, 1500, 500)).toBe(false);
    expect(inSwrWindow(e, 999, 0)).toBe(true);
    expect(inSwrWindow(e, 1000, 0)).toBe(false);
  });
});

describe('failSafeExpiry', () => {
  it('serves a fail-safe value for the backoff, never past its grace', () => {
    fc.assert(
      fc.property(times, fc.nat(1e7), ({ e, probe }, backoff) => {
        const at = failSafeExpiry(e, probe, backoff);
        expect(at).toBeLessThanOrEqual(e.staleUntil);
        expect(at).toBeLessThanOrEqual(probe + backoff);
        expect(at === e.staleUntil || at === probe + backoff).toBe(true);
      }),
    );
  });
});
