import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram, type HistogramData } from 'stratacache/metrics';
import type { ChartSeries, ChartSpec } from './chart-svg.js';
import { renderSvg } from './chart-svg.js';
import type { StatsSample } from './timeline.js';

/** A phase of the traffic run as the picture needs it: its name and the samples at its two ends. */
export interface ChartPhase {
  name: string;
  start: StatsSample;
  end: StatsSample;
}

export interface DemoChartInput {
  subtitle: string;
  /** Samples taken during the run, oldest first. */
  samples: readonly StatsSample[];
  phases: readonly ChartPhase[];
  /** `performance.now()` of the run's start: x = 0. */
  t0: number;
  markers?: ReadonlyArray<{ at: number; label: string }>;
}

/** The observations recorded between two cumulative snapshots of one histogram. */
export function histogramBetween(from: HistogramData, to: HistogramData): Histogram {
  const before = new Map(from.buckets);
  const buckets: Array<[number, number]> = [];
  for (const [i, count] of to.buckets) {
    const added = count - (before.get(i) ?? 0);
    if (added > 0) buckets.push([i, added]);
  }
  // The max cannot be split by time; the later one only caps quantiles, which stay bucket bounds.
  return Histogram.from({ count: to.count - from.count, sum: to.sum - from.sum, max: to.max, buckets });
}

/** A latency tick: 1 µs, 100 µs, 1 ms, 10 ms, 1 s. */
function latencyTick(value: number): string {
  if (value < 1) return `${Number((value * 1000).toPrecision(3))} µs`;
  if (value < 1000) return `${Number(value.toPrecision(3))} ms`;
  return `${Number((value / 1000).toPrecision(3))} s`;
}

/** 1,500 → 1.5k */
function rateTick(value: number): string {
  return value >= 1000 ? `${Number((value / 1000).toPrecision(3))}k` : String(value);
}

/** The phase name without its parenthesised detail: `database slow (+200 ms/query)` → `database slow`. */
function shortName(name: string): string {
  const cut = name.indexOf(' (');
  return cut < 0 ? name : name.slice(0, cut);
}

/**
 * The demo's picture: hit ratio and requests/s by outcome (L1 hit, miss, stale) per sampling interval,
 * and get/load latency p50/p99 per phase, over the seconds of the traffic run, phases shaded.
 */
export function demoChart(input: DemoChartInput): ChartSpec {
  const sec = (at: number): number => (at - input.t0) / 1000;
  const ratio: Array<[number, number]> = [];
  const l1: Array<[number, number]> = [];
  const miss: Array<[number, number]> = [];
  const stale: Array<[number, number]> = [];
  for (let i = 1; i < input.samples.length; i++) {
    const a = input.samples[i - 1]!;
    const b = input.samples[i]!;
    const dt = (b.at - a.at) / 1000;
    if (!(dt > 0)) continue;
    const x = sec((a.at + b.at) / 2);
    const hits = b.stats.hits - a.stats.hits;
    const misses = b.stats.misses - a.stats.misses;
    ratio.push([x, hits + misses === 0 ? Number.NaN : hits / (hits + misses)]);
    l1.push([x, (b.stats.tiers.l1.hits - a.stats.tiers.l1.hits) / dt]);
    miss.push([x, misses / dt]);
    stale.push([x, (b.stats.stale.total - a.stats.stale.total) / dt]);
  }

  const latency = (kind: 'get' | 'load', q: number, name: string, color: string, dashed: boolean) => {
    const points: Array<[number, number]> = [];
    for (const p of input.phases) {
      const h = histogramBetween(p.start.stats.latency[kind].histogram, p.end.stats.latency[kind].histogram);
      // No observation in a phase (no load while every read hit) leaves a gap, not a zero.
      const v = h.summary().count > 0 ? h.quantile(q) : Number.NaN;
      points.push([sec(p.start.at), v], [sec(p.end.at), v]);
    }
    return { name, color, dashed, points } satisfies ChartSeries;
  };

  const first = input.phases[0];
  const last = input.phases.at(-1);
  return {
    title: 'stratacache demo: the cache during the traffic run',
    subtitle: input.subtitle,
    xLabel: 'seconds since the traffic started',
    ...(first === undefined || last === undefined ? {} : { xMin: 0, xMax: sec(last.end.at) }),
    bands: input.phases.map((p) => ({ from: sec(p.start.at), to: sec(p.end.at), label: shortName(p.name) })),
    markers: (input.markers ?? []).map((m) => ({ x: sec(m.at), label: m.label })),
    panels: [
      {
        title: 'hit ratio (fresh hits / lookups)',
        min: 0,
        max: 1,
        format: (v) => `${Math.round(v * 100)} %`,
        series: [{ name: 'hit ratio', color: '#22aa77', points: ratio }],
      },
      {
        title: 'requests/s by outcome',
        format: rateTick,
        series: [
          { name: 'L1 hit', color: '#22aa77', points: l1 },
          { name: 'miss', color: '#cc3333', points: miss },
          { name: 'stale served', color: '#cc9900', points: stale },
        ],
      },
      {
        title: 'latency per phase (log scale): get = cache lookup, load = database query',
        scale: 'log',
        format: latencyTick,
        series: [
          latency('get', 0.5, 'get p50', '#2277aa', false),
          latency('get', 0.99, 'get p99', '#2277aa', true),
          latency('load', 0.5, 'load p50', '#cc3333', false),
          latency('load', 0.99, 'load p99', '#cc3333', true),
        ],
      },
    ],
  };
}

/** Writes the picture of `input` to `dir/demo.svg` (creating `dir`); returns the file's path. */
export function writeDemoChart(dir: string, input: DemoChartInput): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'demo.svg');
  writeFileSync(file, renderSvg(demoChart(input)));
  return file;
}
