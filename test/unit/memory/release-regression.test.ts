import { describe, expect, it } from 'vitest';
import { type EvictionReason, MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { ManualClock, seeded } from '../../helpers/clock.js';

/**
 * Checks that the store's bookkeeping agrees with its contents: the segment counts add up to the size,
 * every listed key reads back, and the size matches the listed keys. A slot released twice, or touched
 * after its release, breaks one of these before it can hang an eviction loop.
 */
function expectConsistent(store: MemoryStore<string>, maxEntries: number): void {
  const state = store.policyState;
  expect(state.window + state.probation + state.protected).toBe(store.size);
  expect(state.window).toBeGreaterThanOrEqual(0);
  expect(state.probation).toBeGreaterThanOrEqual(0);
  const keys = [...store.keys()];
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.length).toBeLessThanOrEqual(store.size);
  expect(store.size).toBeLessThanOrEqual(maxEntries);
  for (const key of keys) expect(store.peek(key)).toBe(`v:${key}`);
}

describe('MemoryStore eviction listeners that re-enter the store', () => {
  it('deleting the admitted candidate from onEvict does not put a freed slot back in a queue', () => {
    // Regression: onEvict ran inside the eviction loop, between evicting the main victim and moving the
    // candidate to probation; a listener that deleted the candidate left its freed slot linked.
    const calls: Array<[string, EvictionReason]> = [];
    const store: MemoryStore<string> = new MemoryStore<string>({
      maxEntries: 2,
      random: () => 0.5,
      onEvict: (key, _value, reason) => {
        calls.push([key, reason]);
        if (key === 'a') store.delete('b');
      },
    });
    store.set('a', 'v:a');
    store.set('b', 'v:b');
    store.get('b');
    store.get('b');
    // The window holds b (frequency 3) and c; b duels a (frequency 1) and wins: a is evicted.
    store.set('c', 'v:c');
    expect(calls).toEqual([['a', 'capacity']]);
    expect(store.peek('b')).toBeUndefined();
    expectConsistent(store, 2);
    for (let i = 0; i < 50; i++) {
      store.set(`k${i}`, `v:k${i}`);
      expectConsistent(store, 2);
    }
  });

  it('stays consistent when listeners set and delete other keys during evictions and expiries', () => {
    const clock = new ManualClock();
    const random = seeded(9);
    const maxEntries = 16;
    let depth = 0;
    const store: MemoryStore<string> = new MemoryStore<string>({
      maxEntries,
      clock,
      random: seeded(3),
      onEvict: (key) => {
        if (depth > 2) return;
        depth++;
        const r = random();
        if (r < 0.3) store.set(`re${Math.floor(random() * 40)}`, `v:re${Math.floor(random() * 40)}`);
        else if (r < 0.6) store.delete(`k${Math.floor(random() * 40)}`);
        else if (r < 0.7) store.set(key, `v:${key}`, 50);
        depth--;
      },
    });
    // Values always equal `v:<key>`, except the re-entrant `re` sets, which expectConsistent skips.
    const check = () => {
      const state = store.policyState;
      expect(state.window + state.probation + state.protected).toBe(store.size);
      expect(store.size).toBeLessThanOrEqual(maxEntries);
      for (const key of store.keys()) if (!key.startsWith('re')) expect(store.peek(key)).toBe(`v:${key}`);
    };
    for (let step = 0; step < 5000; step++) {
      const key = `k${Math.floor(random() * 40)}`;
      const r = random();
      if (r < 0.5)
        store.get(key) ?? store.set(key, `v:${key}`, random() < 0.5 ? 30 + random() * 200 : undefined);
      else if (r < 0.6) store.delete(key);
      else if (r < 0.7) store.peek(key);
      else store.set(key, `v:${key}`, 10 + random() * 100);
      if (step % 7 === 0) clock.advance(random() * 40);
      check();
    }
    expect(store.evictions + store.expirations).toBeGreaterThan(1000);
  });

  it('delivers onEvict after the operation, when the segments are back within their targets', () => {
    const seen: Array<[string, boolean, boolean]> = [];
    const store: MemoryStore<string> = new MemoryStore<string>({
      maxEntries: 2,
      random: () => 0.5,
      onEvict: (key) => {
        const state = store.policyState;
        seen.push([key, store.has(key), state.window <= state.windowMax]);
      },
    });
    store.set('a', 'v:a');
    store.set('b', 'v:b');
    store.get('b');
    store.get('b');
    store.set('c', 'v:c');
    expect(seen).toEqual([['a', false, true]]);
  });
});

describe('MemoryStore miss memo', () => {
  it('a listener that stores the key a get just missed does not make the next set insert it twice', () => {
    // Regression: get() remembered the missed key after the wheel's onEvict calls ran, so a key stored
    // by a listener looked absent to the following set(), which inserted a second slot for it.
    const clock = new ManualClock(1_700_000_000_000);
    const store: MemoryStore<string> = new MemoryStore<string>({
      clock,
      maxEntries: 8,
      onEvict: (key) => {
        if (key === 'x') store.set('y', 'v:y');
      },
    });
    store.set('x', 'v:x', 10);
    clock.advance(100);
    expect(store.get('y')).toBeUndefined();
    expect(store.peek('y')).toBe('v:y');
    store.set('y', 'v:y');
    expect(store.size).toBe(1);
    expectConsistent(store, 8);
    expect(store.delete('y')).toBe(true);
    expect(store.size).toBe(0);
  });
});

describe('MemoryStore expired slots the wheel has not collected yet', () => {
  it('an overwrite of an expired entry reschedules its slot instead of expiring it later', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const calls: Array<[string, string, EvictionReason]> = [];
    const store = new MemoryStore<string>({ clock, onEvict: (k, v, r) => calls.push([k, v, r]) });
    store.set('a', 'old', 10);
    // Same 64 ms wheel bucket: the wheel has not passed the slot's bucket when the overwrite finds it.
    clock.advance(20);
    store.set('a', 'new', 1000);
    for (let i = 0; i < 10; i++) {
      clock.advance(90);
      store.set(`other${i}`, 'v');
      expect(store.get('a')).toBe('new');
    }
    expect(store.expirations).toBe(0);
    clock.advance(200);
    store.set('tick', 'v');
    expect(store.get('a')).toBeUndefined();
    expect(store.expirations).toBe(1);
    expect(calls).toEqual([['a', 'new', 'expired']]);
  });

  it('delete, peek and get of an expired entry release it once; the wheel does not release it again', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const expired: string[] = [];
    const store = new MemoryStore<string>({ clock, maxEntries: 8, onEvict: (k) => expired.push(k) });
    store.set('d', 'v:d', 10);
    store.set('p', 'v:p', 10);
    store.set('g', 'v:g', 10);
    clock.advance(20);
    expect(store.delete('d')).toBe(false);
    expect(store.peek('p')).toBeUndefined();
    expect(store.get('g')).toBeUndefined();
    expect(expired).toEqual(['d', 'p', 'g']);
    // Reuse the three freed slots, then let the wheel pass the old bucket.
    store.set('x', 'v:x');
    store.set('y', 'v:y');
    store.set('z', 'v:z');
    clock.advance(10_000);
    store.set('tick', 'v:tick');
    expect(store.expirations).toBe(3);
    expect(store.size).toBe(4);
    expectConsistent(store, 8);
    for (let i = 0; i < 100; i++) store.set(`k${i}`, `v:k${i}`);
    expectConsistent(store, 8);
  });

  it('a capacity eviction that finds an expired victim counts it once, as an expiry', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const calls: Array<[string, EvictionReason]> = [];
    const store = new MemoryStore<string>({
      clock,
      maxEntries: 4,
      policy: 'lru',
      onEvict: (k, _v, r) => calls.push([k, r]),
    });
    for (const key of ['a', 'b', 'c', 'd']) store.set(key, `v:${key}`, 30);
    clock.advance(40);
    store.set('e', 'v:e');
    clock.advance(10_000);
    store.set('f', 'v:f');
    expect(store.expirations + store.evictions).toBe(calls.length);
    expect(new Set(calls.map(([k]) => k)).size).toBe(calls.length);
    expect(calls.filter(([, r]) => r === 'expired').map(([k]) => k)).toEqual(['a', 'b', 'c', 'd']);
    expectConsistent(store, 4);
  });
});

describe('MemoryStore policy targets', () => {
  it('sizes the window and protected targets from maxEntries, not from the initial storage', () => {
    const store = new MemoryStore<string>({ maxEntries: 10_000, random: seeded(1) });
    for (let i = 0; i < 10_000; i++) store.set(`k${i}`, `v:k${i}`);
    const state = store.policyState;
    expect(store.size).toBe(10_000);
    expect(state.windowMax).toBe(100);
    expect(state.protectedMax).toBe(7920);
    expect(state.window).toBe(100);
    expect(state.probation).toBe(9900);
    // Reads promote up to the protected target; nothing beyond it.
    for (let i = 0; i < 10_000; i++) store.get(`k${i}`);
    expect(store.policyState.protected).toBe(7920);
    expect(store.policyState.windowMax + store.policyState.protectedMax).toBeLessThanOrEqual(10_000);
  });
});
