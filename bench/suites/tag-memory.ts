/**
 * Heap held by per-tag state after 1M distinct tags are invalidated (issue 12, "memory that only
 * grows"): the tag times a cache tracks, bounded at MAX_TRACKED_TAGS (the default) against the same
 * structure without a bound (what 0.1 did), and through a whole `Cache` (`invalidateTags`, no L2).
 * Heap used plus array buffers after a full GC, minus the same before. Needs `--expose-gc`.
 */
import { Cache } from '../../src/cache.js';
import { MAX_TRACKED_TAGS, SyncedNumbers } from '../../src/invalidation/synced-numbers.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { heapReader } from '../lib/heap.js';
import { report, type Table } from '../lib/report.js';

const TAGS = 1_000_000;
const CHECKPOINTS = [100_000, 250_000, 500_000, 1_000_000];

const used = heapReader('tag-memory');

const MB = 2 ** 20;
// Holds the structure under measurement so that the GC cannot collect it before the reading.
let _alive: unknown;

interface Contender {
  name: string;
  run(onCheckpoint: (n: number) => void): Promise<void>;
}

/** What a bus-fed instance does per announced invalidation: learn the tag's time. */
function numbers(cap: number): Contender {
  return {
    name:
      cap === Number.POSITIVE_INFINITY
        ? 'tag times, unbounded'
        : `tag times, cap ${cap.toLocaleString('en-US')}`,
    async run(onCheckpoint) {
      const clock = new ManualClock(1_000_000);
      const n = new SyncedNumbers(undefined, 'x:', clock, 1000, 'floor', cap);
      _alive = n;
      for (let i = 1; i <= TAGS; i++) {
        clock.advance(1);
        n.learn(`tag:${i}`, clock.now());
        if (CHECKPOINTS.includes(i)) onCheckpoint(i);
      }
    },
  };
}

const contenders: Contender[] = [
  numbers(Number.POSITIVE_INFINITY),
  numbers(MAX_TRACKED_TAGS),
  {
    name: 'Cache.invalidateTags (default cap)',
    async run(onCheckpoint) {
      const clock = new ManualClock(1_000_000);
      const cache = new Cache({ clock, l1: { maxEntries: 10_000 } });
      _alive = cache;
      for (let i = 1; i <= TAGS; i++) {
        clock.advance(1);
        await cache.invalidateTags([`tag:${i}`]);
        if (CHECKPOINTS.includes(i)) onCheckpoint(i);
      }
      await cache.close();
    },
  },
];

const rows: Array<Array<string | number>> = [];
for (const c of contenders) {
  const before = used();
  const t0 = performance.now();
  const row: Array<string | number> = [c.name];
  await c.run(() => row.push((used() - before) / MB));
  row.push(performance.now() - t0);
  rows.push(row);
  _alive = undefined;
  process.stdout.write(`${row.join(' ')}\n`);
}

const table: Table = {
  title: `Per-tag state after ${TAGS.toLocaleString('en-US')} distinct invalidated tags`,
  note: 'MB = (heapUsed + arrayBuffers after GC) − (the same before), at each count of distinct tags invalidated so far; the wall time includes the GCs of the readings.',
  columns: ['contender', ...CHECKPOINTS.map((n) => `MB @ ${n.toLocaleString('en-US')}`), 'wall ms'],
  rows,
};
report('tag-memory', [table]);
