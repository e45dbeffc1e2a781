import { describe, expect, it } from 'vitest';
import { createRandom, movingPopularTrace, zipfTrace } from '../../../bench/lib/traces.js';
import { GhostClimber } from '../../../src/stores/memory/climber.js';
import { admits, FrequencySketch, hashKey } from '../../../src/stores/memory/frequency-sketch.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';

function replay(store: MemoryStore<number>, trace: Uint32Array): number {
  let hits = 0;
  for (const id of trace) {
    const key = `key:${id}`;
    if (store.get(key) === undefined) store.set(key, id);
    else hits++;
  }
  return hits / trace.length;
}

describe('FrequencySketch', () => {
  it('counts up to 15 and tells hot keys from cold ones', () => {
    const sketch = new FrequencySketch(1000);
    const hot = hashKey('hot', 1);
    for (let i = 0; i < 20; i++) sketch.increment(hot);
    sketch.increment(hashKey('cold', 1));
    expect(sketch.frequency(hot)).toBe(15);
    expect(sketch.frequency(hashKey('cold', 1))).toBe(1);
    expect(sketch.frequency(hashKey('never', 1))).toBe(0);
  });

  it('keeps the keys of a small cache apart: the table has 16 KiB at least', () => {
    // 2,000 keys against a 64-entry sketch: sized by capacity alone (1,024 counters) nearly every
    // never-seen key would read as seen.
    const sketch = new FrequencySketch(64);
    for (let i = 0; i < 2000; i++) sketch.increment(hashKey(`seen${i}`, 9));
    let phantom = 0;
    for (let i = 0; i < 1000; i++) if (sketch.frequency(hashKey(`never${i}`, 9)) > 0) phantom++;
    expect(phantom).toBeLessThan(50);
  });

  it('halves after the sample size set for a frequency-biased workload', () => {
    const sketch = new FrequencySketch(64);
    sketch.setSampleSize(64 * 40);
    const epoch = sketch.epoch;
    let n = 0;
    while (sketch.epoch === epoch && n < 10_000) sketch.increment(hashKey(`k${n++}`, 5));
    expect(n).toBeGreaterThan(640);
    expect(n).toBeLessThanOrEqual(64 * 40);
  });

  it('reports saturation, and changes its epoch when counters shrink', () => {
    const sketch = new FrequencySketch(64);
    const hot = hashKey('hot', 3);
    const saturatedAt: number[] = [];
    for (let i = 1; i <= 16; i++) if (sketch.increment(hot)) saturatedAt.push(i);
    expect(saturatedAt).toEqual([15, 16]);
    expect(sketch.frequency(hot)).toBe(15);
    const epoch = sketch.epoch;
    let n = 0;
    while (sketch.epoch === epoch) sketch.increment(hashKey(`other${n++}`, 3));
    expect(n).toBeLessThanOrEqual(640);
    expect(sketch.frequency(hot)).toBe(7);
    expect(sketch.increment(hot)).toBe(false);
    sketch.resize(64);
    expect(sketch.frequency(hot)).toBe(0);
  });

  it('ages: halves every counter after 10 × capacity additions', () => {
    const sketch = new FrequencySketch(64);
    expect(sketch.sampleSize).toBe(640);
    const hot = hashKey('hot', 7);
    for (let i = 0; i < 12; i++) sketch.increment(hot);
    let before = sketch.frequency(hot);
    for (let n = 0; n < 10_000; n++) {
      before = sketch.frequency(hot);
      const additions = sketch.additions;
      sketch.increment(hashKey(`other${n}`, 7));
      if (sketch.additions < additions) break;
    }
    expect(before).toBeGreaterThanOrEqual(12);
    expect(sketch.frequency(hot)).toBe(before >>> 1);
    expect(sketch.additions).toBeLessThan(640 / 2);
  });
});

describe('admission rule', () => {
  it('admits the more frequent candidate, and a warm loser only at random, 1 in 128', () => {
    const never = () => 0.5;
    const always = () => 0;
    expect(admits(3, 2, never)).toBe(true);
    expect(admits(2, 2, never)).toBe(false);
    expect(admits(5, 9, always)).toBe(false);
    expect(admits(6, 9, always)).toBe(true);
    expect(admits(6, 9, never)).toBe(false);
    const random = createRandom(3);
    let wins = 0;
    for (let i = 0; i < 128_000; i++) if (admits(8, 15, random)) wins++;
    expect(wins).toBeGreaterThan(800);
    expect(wins).toBeLessThan(1200);
  });
});

describe('GhostClimber', () => {
  const hashes = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => hashKey(`${prefix}${i}`, 4));

  it('takes steps of 2 % of the capacity while ghost hits keep pointing the same way', () => {
    const climber = new GhostClimber(1000);
    const steps: number[] = [];
    for (let round = 0; round < 20; round++) {
      const keys = hashes(`r${round}-`, 10);
      for (const h of keys) climber.rejected(h);
      for (const h of keys) steps.push(climber.miss(h, () => true));
    }
    expect(new Set(steps)).toEqual(new Set([20]));
    const [down] = hashes('down', 1);
    climber.evicted(down!);
    expect(climber.miss(down!, () => true)).toBe(-1);
  });

  it('settles to one entry at a time while hits on both sides alternate', () => {
    const climber = new GhostClimber(1000);
    const moves: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const [w, m] = [hashKey(`w${i}`, 4), hashKey(`m${i}`, 4)];
      climber.rejected(w);
      climber.evicted(m);
      moves.push(
        climber.miss(w, () => true),
        climber.miss(m, () => true),
      );
    }
    // (0 where a Bloom false positive puts a key in both ghosts.)
    expect(new Set(moves.slice(-200).filter((m) => m !== 0))).toEqual(new Set([1, -1]));
  });

  it('asks for no larger window when the filter would now admit the returning key', () => {
    const climber = new GhostClimber(1000);
    const [h] = hashes('k', 1);
    climber.rejected(h!);
    expect(climber.miss(h!, () => false)).toBe(0);
    expect(climber.miss(hashKey('unknown', 4), () => true)).toBe(0);
  });
});

describe('W-TinyLFU policy', () => {
  it('keeps a frequently used set through a scan that evicts it under LRU', () => {
    const run = (policy: 'tinylfu' | 'lru') => {
      const store = new MemoryStore<number>({ maxEntries: 100, policy, random: createRandom(1) });
      for (let round = 0; round < 5; round++)
        for (let i = 0; i < 100; i++) store.get(`hot${i}`) ?? store.set(`hot${i}`, i);
      for (let i = 0; i < 1000; i++) store.get(`scan${i}`) ?? store.set(`scan${i}`, i);
      let kept = 0;
      for (let i = 0; i < 100; i++) if (store.peek(`hot${i}`) !== undefined) kept++;
      return kept;
    };
    expect(run('lru')).toBe(0);
    expect(run('tinylfu')).toBeGreaterThanOrEqual(95);
  });

  it('admits a newcomer once it is requested more often than the victim', () => {
    const store = new MemoryStore<number>({ maxEntries: 10, random: createRandom(1) });
    for (let i = 0; i < 10; i++) store.set(`cold${i}`, i);
    for (let i = 0; i < 4; i++) {
      store.get('new') ?? store.set('new', 1);
      store.set(`filler${i}`, i);
    }
    expect(store.peek('new')).toBe(1);
  });

  it('beats LRU by a wide margin on a Zipf trace and keeps the window small', () => {
    const trace = zipfTrace(10_000, 200_000, 0.99, 5);
    const ours = new MemoryStore<number>({ maxEntries: 100, random: createRandom(2) });
    const lru = new MemoryStore<number>({ maxEntries: 100, policy: 'lru' });
    expect(replay(ours, trace)).toBeGreaterThan(replay(lru, trace) + 0.05);
    expect(ours.policyState.windowMax).toBeLessThan(50);
  });

  it('holds the window still on a stationary trace (hit-rate noise is no signal)', () => {
    const trace = zipfTrace(50_000, 400_000, 0.9, 8);
    const store = new MemoryStore<number>({ maxEntries: 2000, random: createRandom(3) });
    let largest = 0;
    for (let i = 0; i < trace.length; i++) {
      const key = `key:${trace[i]}`;
      if (store.get(key) === undefined) store.set(key, i);
      if (i > 100_000) largest = Math.max(largest, store.policyState.windowMax);
    }
    expect(largest).toBeLessThanOrEqual(20);
  });

  it('grows the window when the popular set keeps moving, staying near LRU', () => {
    const trace = movingPopularTrace(400_000, 9, 20_000, 20, 0.8);
    const ours = new MemoryStore<number>({ maxEntries: 2000, random: createRandom(2) });
    const lru = new MemoryStore<number>({ maxEntries: 2000, policy: 'lru' });
    const initial = ours.policyState.windowMax;
    const oursRatio = replay(ours, trace);
    expect(ours.policyState.windowMax).toBeGreaterThan(initial * 5);
    expect(oursRatio).toBeGreaterThan(replay(lru, trace) - 0.01);
  });

  it('opens the window fast on a recency-biased trace, staying near LRU', () => {
    // Keys arrive in order and are reused at short distances (within the capacity): LRU's best case.
    const random = createRandom(11);
    const trace = new Uint32Array(60_000);
    for (let i = 0; i < trace.length; i++) {
      trace[i] = Math.max(0, Math.floor(i / 4) - Math.floor(random() * random() * 400));
    }
    const ours = new MemoryStore<number>({ maxEntries: 300, random: createRandom(2) });
    const lru = new MemoryStore<number>({ maxEntries: 300, policy: 'lru' });
    const early = replay(ours, trace.subarray(0, 8000)) * 8000;
    expect(ours.policyState.windowMax).toBeGreaterThanOrEqual(150);
    const oursRatio = (early + replay(ours, trace.subarray(8000)) * 52_000) / trace.length;
    // The first newcomers still lose their duels before the window opens: about 2 points.
    expect(oursRatio).toBeGreaterThan(replay(lru, trace) - 0.03);
  });

  it('keeps the segment sizes consistent with the targets', () => {
    const store = new MemoryStore<number>({ maxEntries: 500, random: createRandom(4) });
    replay(store, zipfTrace(5000, 50_000, 0.9, 1));
    const state = store.policyState;
    expect(state.window + state.probation + state.protected).toBe(store.size);
    expect(state.protected).toBeLessThanOrEqual(state.protectedMax);
    expect(state.windowMax + state.protectedMax).toBeLessThanOrEqual(500);
  });
});
