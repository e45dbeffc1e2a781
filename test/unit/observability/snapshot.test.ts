import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { Histogram } from '../../../src/metrics/histogram.js';
import {
  fleetTotals,
  MAX_SNAPSHOT_NODES,
  nodeHealthOf,
  parseSnapshot,
  snapshotOf,
} from '../../../src/observability/fleet/snapshot.js';
import type { WriteBehindStats } from '../../../src/strategies/write-behind/write-behind-options.js';

const identity = { id: 'a', host: 'h', pid: 1, version: '0.0.0', startedAt: 1_000 };
const hb = { beats: 0, failures: 0 };

function wbStats(over: Partial<WriteBehindStats>): WriteBehindStats {
  return {
    queued: 0,
    coalesced: 0,
    flushed: 0,
    batches: 0,
    retried: 0,
    deadLettered: 0,
    stale: 0,
    writeThrough: 0,
    pending: 0,
    lagMs: 0,
    journalErrors: 0,
    journalLosses: 0,
    ...over,
  };
}

describe('fleet snapshots', () => {
  it('round-trips through JSON and refuses foreign values', async () => {
    const cache = new Cache();
    await cache.get('x');
    const s = snapshotOf(identity, cache.stats(), 5_000, { beats: 2, failures: 0 });
    expect(s.uptimeMs).toBe(4_000);
    expect(parseSnapshot(JSON.stringify(s))).toEqual(s);
    for (const text of ['nope', '1', 'null', '{"v":2,"id":"a"}', JSON.stringify({ ...s, latency: {} })]) {
      expect(parseSnapshot(text)).toBeUndefined();
    }
    await cache.close();
  });

  it('sums counters and merges histograms bucket-wise', async () => {
    const a = new Cache();
    const b = new Cache();
    await a.set('k', 1);
    await a.get('k');
    await b.get('k');
    const sa = snapshotOf(identity, a.stats(), 2_000, { beats: 0, failures: 0 });
    const slow = new Histogram();
    for (let i = 0; i < 99; i++) slow.record(100);
    const sb = {
      ...snapshotOf({ ...identity, id: 'b' }, b.stats(), 2_000, { beats: 0, failures: 0 }),
      breakerOpen: true,
    };
    sb.latency = { ...sb.latency, get: slow.data() };
    const t = fleetTotals([sa, sb]);
    expect(t.instances).toBe(2);
    expect(t.counters.hits).toBe(1);
    expect(t.counters.misses).toBe(1);
    expect(t.hitRatio).toBe(0.5);
    expect(t.breakersOpen).toBe(1);
    expect(t.latency.get.count).toBe(sa.latency.get.count + 99);
    // 99 of the merged observations are 100 ms: the fleet p99 is that bucket, not a per-instance average.
    expect(t.latency.get.p99).toBeGreaterThan(90);
    expect(fleetTotals([]).hitRatio).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('holds per-node health, bounded, with open servers kept first past the cap', async () => {
    const cache = new Cache();
    const stats = {
      ...cache.stats(),
      l2CircuitOpenByNode: { 'r1:6379': false, 'r2:6379': true, 'r3:6379': false },
    };
    const s = snapshotOf(identity, stats, 2_000, hb);
    expect(s.nodes).toEqual({ total: 3, open: 1, breakerOpen: stats.l2CircuitOpenByNode });
    expect(snapshotOf(identity, cache.stats(), 2_000, hb).nodes).toBeUndefined();
    expect(nodeHealthOf({})).toBeUndefined();

    const many: Record<string, boolean> = {};
    for (let i = 0; i < 40; i++) many[`n${i}`] = i >= 35;
    const h = nodeHealthOf(many)!;
    expect(h.total).toBe(40);
    expect(h.open).toBe(5);
    expect(Object.keys(h.breakerOpen)).toHaveLength(MAX_SNAPSHOT_NODES);
    for (let i = 35; i < 40; i++) expect(h.breakerOpen[`n${i}`]).toBe(true);
    await cache.close();
  });

  it('adds up write-behind queues per instance and over the fleet (depths and dead letters sum, worst lag)', async () => {
    const cache = new Cache();
    const a = snapshotOf(identity, cache.stats(), 2_000, hb, [
      wbStats({ pending: 3, deadLettered: 1, lagMs: 40, retried: 7, queued: 99 }),
      wbStats({ pending: 2, lagMs: 900, journalErrors: 1 }),
    ]);
    expect(a.writeBehind).toEqual({
      queues: 2,
      pending: 5,
      deadLettered: 1,
      lagMs: 900,
      retried: 7,
      flushed: 0,
      journalErrors: 1,
      journalLosses: 0,
    });
    const b = snapshotOf({ ...identity, id: 'b' }, cache.stats(), 2_000, hb, [
      wbStats({ pending: 10, deadLettered: 4, lagMs: 300, flushed: 5 }),
    ]);
    const none = snapshotOf({ ...identity, id: 'c' }, cache.stats(), 2_000, hb);
    expect(none.writeBehind).toBeUndefined();
    expect(fleetTotals([a, b, none]).writeBehind).toEqual({
      queues: 3,
      pending: 15,
      deadLettered: 5,
      lagMs: 900,
      retried: 7,
      flushed: 5,
      journalErrors: 1,
      journalLosses: 0,
    });
    expect(fleetTotals([none]).writeBehind).toBeUndefined();
    await cache.close();
  });

  it('reads a snapshot of an older instance (no nodes, no write-behind) and drops foreign optional parts', async () => {
    const cache = new Cache();
    const {
      nodes: _n,
      writeBehind: _w,
      ...older
    } = snapshotOf(identity, cache.stats(), 2_000, hb, [wbStats({})]);
    const parsed = parseSnapshot(JSON.stringify(older))!;
    expect(parsed.id).toBe('a');
    expect(parsed.nodes).toBeUndefined();
    expect(parsed.writeBehind).toBeUndefined();
    expect(fleetTotals([parsed]).writeBehind).toBeUndefined();
    const odd = parseSnapshot(JSON.stringify({ ...older, nodes: 3, writeBehind: 'x' }))!;
    expect(odd).toBeDefined();
    expect(odd.nodes).toBeUndefined();
    expect(odd.writeBehind).toBeUndefined();
    await cache.close();
  });
});
