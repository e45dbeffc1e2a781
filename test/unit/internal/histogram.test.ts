import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../src/metrics/histogram.js';
import { CircuitBreaker } from '../../../src/stores/circuit-breaker.js';
import { ManualClock } from '../../helpers/clock.js';

describe('Histogram', () => {
  it('reports quantiles within the bucket error', () => {
    const h = new Histogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100);
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.p50).toBeGreaterThan(50 * 0.9);
    expect(s.p50).toBeLessThan(50 * 1.1);
    expect(s.p99).toBeGreaterThan(99 * 0.9);
    expect(s.p99).toBeLessThanOrEqual(100);
    expect(s.max).toBe(100);
    expect(s.mean).toBeCloseTo(50.005, 2);
  });

  it('is empty-safe and ignores invalid samples', () => {
    const h = new Histogram();
    h.record(Number.NaN);
    h.record(-1);
    expect(h.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one probe through after the reset time', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ failures: 2, resetMs: 100 }, clock);
    b.failure();
    b.success();
    b.failure();
    expect(b.open).toBe(false);
    b.failure();
    expect(b.open).toBe(true);
    expect(b.allow()).toBe(false);
    clock.advance(100);
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.failure();
    expect(b.open).toBe(true);
    clock.advance(100);
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.open).toBe(false);
    expect(b.allow()).toBe(true);
  });
});
