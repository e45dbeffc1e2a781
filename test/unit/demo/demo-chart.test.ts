import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from 'stratacache';
import { Histogram } from 'stratacache/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { demoChart, histogramBetween, writeDemoChart } from '../../../demo/demo-chart.js';
import type { StatsSample } from '../../../demo/timeline.js';
import { findAll, parseXml } from '../../helpers/xml.js';

const caches: Cache[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
});

/** A cache and a way to sample it at a chosen `at`. */
function sampled() {
  const cache = new Cache();
  caches.push(cache);
  return { cache, at: (at: number): StatsSample => ({ at, stats: cache.stats() }) };
}

describe('the demo picture', () => {
  it('takes the observations between two snapshots of a histogram', () => {
    const h = new Histogram();
    for (let i = 0; i < 100; i++) h.record(1);
    const before = h.data();
    for (let i = 0; i < 100; i++) h.record(100);
    const between = histogramBetween(before, h.data());
    expect(between.summary().count).toBe(100);
    expect(between.quantile(0.5)).toBeGreaterThan(90);
    expect(between.quantile(0.5)).toBeLessThanOrEqual(100);
    expect(histogramBetween(before, before).summary().count).toBe(0);
  });

  it('turns samples into hit ratio and requests/s, and phases into latency steps', async () => {
    const { cache, at } = sampled();
    const s0 = at(1_000);
    for (const k of ['a', 'b', 'c']) await cache.getOrSet(k, async () => k);
    for (let i = 0; i < 5; i++) await cache.getOrSet('a', async () => 'never');
    const s1 = at(3_000);
    // A second interval with no lookup at all.
    const s2 = at(4_000);
    const spec = demoChart({
      subtitle: 'sub',
      samples: [s0, s1, s2],
      phases: [
        { name: 'loading (cold)', start: s0, end: s1 },
        { name: 'idle', start: s1, end: s2 },
      ],
      t0: 1_000,
      markers: [{ at: 2_000, label: 'm' }],
    });
    const [ratio, rates, latency] = spec.panels;
    // x is the middle of each interval, in seconds since t0.
    expect(ratio!.series[0]!.points[0]).toEqual([1, 5 / 8]);
    expect(Number.isNaN(ratio!.series[0]!.points[1]![1])).toBe(true);
    const rate = (name: string) => rates!.series.find((s) => s.name === name)!.points;
    expect(rate('L1 hit')).toEqual([
      [1, 5 / 2],
      [2.5, 0],
    ]);
    expect(rate('miss')[0]).toEqual([1, 3 / 2]);
    expect(rate('stale served')[0]).toEqual([1, 0]);
    const steps = (name: string) => latency!.series.find((s) => s.name === name)!.points;
    const load = steps('load p50');
    expect(load.map(([x]) => x)).toEqual([0, 2, 2, 3]);
    expect(load[0]![1]).toBeGreaterThan(0);
    expect(load[0]![1]).toBe(load[1]![1]);
    // No load in the idle phase: a gap, not a zero.
    expect(Number.isNaN(load[2]![1])).toBe(true);
    expect(steps('get p99')[0]![1]).toBeGreaterThan(0);
    expect(spec.bands).toEqual([
      { from: 0, to: 2, label: 'loading' },
      { from: 2, to: 3, label: 'idle' },
    ]);
    expect(spec.markers).toEqual([{ x: 1, label: 'm' }]);
    expect([spec.xMin, spec.xMax]).toEqual([0, 3]);
  });

  it('writes demo.svg into a folder it creates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-demo-chart-'));
    try {
      const { cache, at } = sampled();
      const s0 = at(0);
      await cache.getOrSet('k', async () => 1);
      const s1 = at(500);
      const file = writeDemoChart(join(dir, 'nested', 'out'), {
        subtitle: 'one phase & one interval',
        samples: [s0, s1],
        phases: [{ name: 'only', start: s0, end: s1 }],
        t0: 0,
      });
      expect(file).toBe(join(dir, 'nested', 'out', 'demo.svg'));
      const root = parseXml(readFileSync(file, 'utf8'));
      expect(findAll(root, (e) => e.attrs.class === 'panel')).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
