import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../src/metrics/histogram.js';
import { CircuitBreaker } from '../../../src/tier/circuit-breaker.js';
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

  it('weighs a sampled observation as the observations it stands for', () => {
    const h = new Histogram();
    // 1 ms on a path sampled 1 in 16 (100 samples for 1,600 calls), 100 ms on a path timed every call.
    for (let i = 0; i < 100; i++) h.record(1, 16);
    for (let i = 0; i < 200; i++) h.record(100);
    const s = h.summary();
    expect(s.count).toBe(1_800);
    // 1,600 of 1,800 calls took 1 ms: the median and p80 are 1 ms, p90 is the slow path.
    expect(s.p50).toBeGreaterThanOrEqual(1);
    expect(s.p50).toBeLessThan(1.1);
    expect(h.quantile(0.88)).toBeLessThan(1.1);
    expect(s.p90).toBeGreaterThan(90);
    expect(s.mean).toBeCloseTo((1_600 * 1 + 200 * 100) / 1_800, 9);
    expect(h.sum).toBeCloseTo(21_600, 9);
    expect(h.cumulative().at(-1)![1]).toBe(1_800);
  });

  it('is empty-safe and ignores invalid samples', () => {
    const h = new Histogram();
    h.record(Number.NaN);
    h.record(-1);
    h.record(5, Number.NaN);
    h.record(5, 0);
    h.record(5, -16);
    h.record(5, Number.POSITIVE_INFINITY);
    expect(h.summary()).toEqual({
      count: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
      mean: 0,
      histogram: { count: 0, sum: 0, max: 0, buckets: [] },
    });
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
