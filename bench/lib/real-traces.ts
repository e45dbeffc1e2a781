/**
 * The real cache-access traces in `../shared/traces` (next to the repository; README.md there says where
 * each was recorded), replayed against lru-cache, ARC, the memory tier and Belady's optimum, next to
 * Caffeine's published W-TinyLFU figures. `STRATACACHE_TRACES` overrides the folder.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { ArcCache } from './arc.js';
import type { Table } from './report.js';
import { beladyHitRatio, createRandom } from './traces.js';

const SEED = 42;

/** Caffeine's W-TinyLFU hit ratios (%) as published (README.md of the traces), by trace and size. */
const CAFFEINE: Record<string, Record<number, number>> = {
  'arc-OLTP': { 250: 24, 500: 32, 750: 37, 1000: 40, 1250: 43, 1500: 43, 1750: 45, 2000: 46 },
  'lirs-gli': {
    250: 15.15,
    500: 33.08,
    750: 43.11,
    1000: 50.57,
    1250: 51.87,
    1500: 53.57,
    1750: 55.61,
    2000: 57.96,
  },
};

interface TraceModule {
  TRACES: Record<string, { sizes: number[] }>;
  loadTrace(name: string): Promise<{ keys: Uint32Array; distinct: number }>;
}

/** The traces folder, or undefined when it is absent. */
export function tracesDir(): string | undefined {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = process.env.STRATACACHE_TRACES ?? join(repo, '..', 'shared', 'traces');
  return existsSync(join(dir, 'read-trace.mjs')) ? dir : undefined;
}

/** One trace @ size: hit ratios in [0, 1]; `caffeine` is undefined where nothing is published. */
export interface RealRow {
  trace: string;
  size: number;
  lru: number;
  arc: number;
  ours: number;
  belady: number;
  caffeine: number | undefined;
}

function replayLru(keys: Uint32Array, max: number): number {
  const lru = new LRUCache<number, number>({ max });
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (lru.get(k) === undefined) lru.set(k, 1);
    else hits++;
  }
  return hits / keys.length;
}

function replayArc(keys: Uint32Array, capacity: number): number {
  const arc = new ArcCache(capacity);
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if (arc.access(keys[i]!)) hits++;
  return hits / keys.length;
}

function replayOurs(keys: Uint32Array, names: string[], maxEntries: number): number {
  const store = new MemoryStore<number>({ maxEntries, random: createRandom(SEED) });
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = names[keys[i]!]!;
    if (store.get(key) === undefined) store.set(key, 1);
    else hits++;
  }
  return hits / keys.length;
}

/** Replays every trace at every listed size (`only` restricts the traces); logs each row as it goes. */
export async function realTraceRows(dir: string, only?: readonly string[]): Promise<RealRow[]> {
  const mod = (await import(pathToFileURL(join(dir, 'read-trace.mjs')).href)) as TraceModule;
  const rows: RealRow[] = [];
  for (const [trace, { sizes }] of Object.entries(mod.TRACES)) {
    if (only !== undefined && only.length > 0 && !only.includes(trace)) continue;
    const { keys, distinct } = await mod.loadTrace(trace);
    const names = Array.from({ length: distinct }, (_, id) => `key:${id}`);
    for (const size of sizes) {
      const row: RealRow = {
        trace,
        size,
        lru: replayLru(keys, size),
        arc: replayArc(keys, size),
        ours: replayOurs(keys, names, size),
        belady: beladyHitRatio(keys, size),
        caffeine: CAFFEINE[trace]?.[size],
      };
      rows.push(row);
      process.stdout.write(`${formatRow(row).join(' | ')}\n`);
    }
  }
  return rows;
}

const pct = (x: number): string => (100 * x).toFixed(2);
const points = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
const best = (r: RealRow): number => Math.max(r.lru, r.arc);

function formatRow(r: RealRow): string[] {
  const caffeine = r.caffeine === undefined ? undefined : r.caffeine / 100;
  return [
    r.trace,
    String(r.size),
    pct(r.lru),
    pct(r.arc),
    pct(r.ours),
    points(r.ours - best(r)),
    caffeine === undefined ? '–' : pct(caffeine),
    caffeine === undefined ? '–' : points(r.ours - caffeine),
    pct(r.belady),
  ];
}

/** The table of every row, then the mean and the worst row against max(LRU, ARC). */
export function realTraceTable(rows: readonly RealRow[]): Table {
  const mean = (f: (r: RealRow) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const worst = rows.reduce((w, r) => (r.ours - best(r) < w.ours - best(w) ? r : w));
  return {
    title: 'Memory tier hit ratio on real traces (%)',
    note: `Traces from \`../shared/traces\` (README.md there), at the sizes it lists; get, then set on a miss; MemoryStore seeded (${SEED}). "vs best" is MemoryStore − max(LRU, ARC); Caffeine is its published W-TinyLFU figure where one exists. ARC is the FAST '03 pseudocode (bench/lib/arc.ts); Belady is the clairvoyant optimum with bypass. Deterministic, so one round is exact. Targets (issue 17): every row ≥ max(LRU, ARC) − 1 and ≥ Caffeine − 1, the mean ≥ ARC + 6; the last two rows say whether they hold.`,
    columns: [
      'trace',
      'size',
      'LRU (lru-cache)',
      'ARC',
      'MemoryStore',
      'vs best',
      'Caffeine',
      'vs Caffeine',
      'Belady',
    ],
    rows: [
      ...rows.map(formatRow),
      [
        `**mean of ${rows.length} rows**`,
        '',
        pct(mean((r) => r.lru)),
        pct(mean((r) => r.arc)),
        pct(mean((r) => r.ours)),
        points(mean((r) => r.ours - best(r))),
        '',
        `ARC ${points(mean((r) => r.ours - r.arc))}`,
        pct(mean((r) => r.belady)),
      ],
      [
        `**worst vs best:** ${worst.trace} @ ${worst.size}`,
        '',
        '',
        '',
        '',
        points(worst.ours - best(worst)),
        '',
        '',
        '',
      ],
    ],
  };
}
