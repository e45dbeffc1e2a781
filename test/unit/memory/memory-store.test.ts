import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, ValueTooLargeError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';

function manualClock(start = 1_000_000) {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MemoryStore basics', () => {
  it('stores, reads, peeks, deletes and clears', () => {
    const store = new MemoryStore<string>({ maxEntries: 10 });
    store.set('a', '1');
    store.set('b', '2');
    expect(store.get('a')).toBe('1');
    expect(store.peek('b')).toBe('2');
    expect(store.has('b')).toBe(true);
    expect(store.size).toBe(2);
    store.set('a', '3');
    expect(store.get('a')).toBe('3');
    expect(store.size).toBe(2);
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    expect(store.get('a')).toBeUndefined();
    expect([...store.keys()]).toEqual(['b']);
    store.clear();
    expect(store.size).toBe(0);
    expect(store.get('b')).toBeUndefined();
    store.set('c', '4');
    expect(store.get('c')).toBe('4');
  });

  it('never holds more than maxEntries and reports capacity evictions', () => {
    const evicted: string[] = [];
    const store = new MemoryStore<number>({
      maxEntries: 50,
      onEvict: (key, _value, reason) => {
        expect(reason).toBe('capacity');
        evicted.push(key);
      },
    });
    for (let i = 0; i < 500; i++) {
      store.set(`k${i}`, i);
      expect(store.size).toBeLessThanOrEqual(50);
    }
    expect(store.size).toBe(50);
    expect(store.evictions).toBe(450);
    expect(evicted).toHaveLength(450);
    for (const key of evicted) expect(store.peek(key)).toBeUndefined();
  });

  it('grows its storage past the initial slots and keeps every entry', () => {
    const store = new MemoryStore<number>({ maxEntries: 5000 });
    for (let i = 0; i < 5000; i++) store.set(`k${i}`, i);
    expect(store.size).toBe(5000);
    expect(store.evictions).toBe(0);
    for (let i = 0; i < 5000; i++) expect(store.get(`k${i}`)).toBe(i);
  });

  it('keeps the bytes bound with a custom sizeOf and the estimate', () => {
    const store = new MemoryStore<string>({ maxEntries: 1000, maxBytes: 100, sizeOf: (v) => v.length });
    for (let i = 0; i < 100; i++) {
      store.set(`k${i}`, 'x'.repeat(1 + (i % 20)));
      expect(store.bytes).toBeLessThanOrEqual(100);
    }
    expect(store.bytes).toBe([...store.keys()].reduce((n, k) => n + store.peek(k)!.length, 0));
    const estimated = new MemoryStore<string>({ maxBytes: 1000 });
    estimated.set('a', 'hello');
    expect(estimated.bytes).toBe(16 + 10);
  });

  it('rejects values above maxEntryBytes and keeps the old value', () => {
    const store = new MemoryStore<string>({ maxBytes: 100, maxEntryBytes: 10, sizeOf: (v) => v.length });
    store.set('a', 'short');
    expect(() => store.set('a', 'x'.repeat(11))).toThrow(ValueTooLargeError);
    expect(store.get('a')).toBe('short');
  });

  it('works as plain LRU with policy lru', () => {
    const store = new MemoryStore<number>({ maxEntries: 3, policy: 'lru' });
    store.set('a', 1);
    store.set('b', 2);
    store.set('c', 3);
    store.get('a');
    store.set('d', 4);
    expect([...store.keys()].sort()).toEqual(['a', 'c', 'd']);
  });

  it('grows without an entry bound when maxBytes bounds it', () => {
    const store = new MemoryStore<string>({
      maxEntries: Number.POSITIVE_INFINITY,
      maxBytes: 30_000,
      sizeOf: () => 10,
    });
    for (let i = 0; i < 5000; i++) store.set(`k${i}`, 'v');
    expect(store.size).toBe(3000);
    expect(store.bytes).toBe(30_000);
  });
});

describe('MemoryStore expiry', () => {
  it('never returns an expired entry and reports it once', () => {
    const clock = manualClock();
    const onEvict = vi.fn();
    const store = new MemoryStore<string>({ clock, onEvict });
    store.set('a', '1', 100);
    store.set('b', '2');
    expect(store.remainingTtl('a')).toBe(100);
    expect(store.remainingTtl('b')).toBe(Number.POSITIVE_INFINITY);
    expect(store.remainingTtl('zz')).toBe(0);
    clock.t += 99;
    expect(store.get('a')).toBe('1');
    clock.t += 1;
    expect(store.peek('a')).toBeUndefined();
    expect(store.has('a')).toBe(false);
    expect(store.get('a')).toBeUndefined();
    expect([...store.keys()]).toEqual(['b']);
    expect(store.expirations).toBe(1);
    expect(onEvict).toHaveBeenCalledTimes(1);
    expect(onEvict).toHaveBeenCalledWith('a', '1', 'expired');
  });

  it('frees expired entries through the timer wheel without reading them', () => {
    const clock = manualClock();
    const expired: string[] = [];
    const store = new MemoryStore<number>({ clock, onEvict: (k) => expired.push(k) });
    for (let i = 0; i < 1000; i++) store.set(`k${i}`, i, 1000 + i);
    clock.t += 1500;
    store.set('tick', 0);
    // Everything due by now is gone; nothing later was touched.
    expect(store.size).toBe(1 + 1000 - 501);
    expect(store.expirations).toBe(501);
    expect(expired).toHaveLength(501);
    clock.t += 10_000;
    store.set('tick', 1);
    expect(store.size).toBe(1);
    expect(store.expirations).toBe(1000);
  });

  it('cascades long TTLs down the wheel and expires them on time, not early', () => {
    const clock = manualClock();
    const store = new MemoryStore<number>({ clock });
    const day = 86_400_000;
    store.set('long', 1, 10 * day);
    store.set('mid', 2, 3 * 3_600_000);
    let removedAt = -1;
    for (let step = 1; step <= 11 * 24; step++) {
      clock.t += 3_600_000;
      store.set('tick', step);
      if (removedAt < 0 && store.size === 1) removedAt = step;
      if (step < 240) expect(store.peek('long')).toBe(1);
    }
    expect(removedAt).toBe(240);
    expect(store.expirations).toBe(2);
  });

  it('counts a capacity eviction of an expired entry as an expiry', () => {
    const clock = manualClock();
    const onEvict = vi.fn();
    const store = new MemoryStore<number>({ clock, maxEntries: 1, policy: 'lru', onEvict });
    store.set('a', 1, 10);
    clock.t += 20;
    store.set('b', 2);
    expect(onEvict).toHaveBeenCalledWith('a', 1, 'expired');
    expect(store.expirations).toBe(1);
    expect(store.evictions).toBe(0);
  });

  it('accepts Infinity as no expiry, and delete of an expired key returns false', () => {
    const clock = manualClock();
    const store = new MemoryStore<number>({ clock });
    store.set('a', 1, Number.POSITIVE_INFINITY);
    store.set('b', 2, 5);
    clock.t += 1e9;
    expect(store.get('a')).toBe(1);
    expect(store.delete('b')).toBe(false);
  });
});

describe('MemoryStore validation', () => {
  it.each([
    [{ maxEntries: 0 }, InvalidOptionError, /`maxEntries` to be a positive integer or Infinity, got `0`/],
    [{ maxEntries: 1.5 }, InvalidOptionError, /maxEntries/],
    [{ maxEntries: '10' }, InvalidOptionError, /got "10" \(string\)/],
    [{ maxBytes: -1 }, InvalidOptionError, /maxBytes/],
    [{ maxBytes: 10, maxEntryBytes: 20 }, InvalidOptionError, /at most `maxBytes` \(10\)/],
    [{ maxEntryBytes: 0 }, InvalidOptionError, /maxEntryBytes/],
    [{ sizeOf: 3 }, InvalidOptionError, /`sizeOf` to be a function/],
    [{ onEvict: 'x' }, InvalidOptionError, /onEvict/],
    [{ clock: {} }, InvalidOptionError, /`clock` to be an object with a now\(\) method/],
    [{ policy: 'lfu' }, InvalidOptionError, /'tinylfu' or 'lru', got "lfu"/],
    [{ random: 1 }, InvalidOptionError, /random/],
    [{ maxEntrys: 3 }, InvalidOptionError, /Unknown option `MemoryStore options.maxEntrys`/],
  ])('rejects %o', (options, Err, message) => {
    expect(() => new MemoryStore(options as never)).toThrow(Err);
    expect(() => new MemoryStore(options as never)).toThrow(message);
  });

  it('rejects bad TTLs and sizes on set', () => {
    const store = new MemoryStore<unknown>({ maxBytes: 1000, sizeOf: (v) => v as number });
    expect(() => store.set('a', 1, 0)).toThrow(InvalidOptionError);
    expect(() => store.set('a', 1, -5)).toThrow(/`ttlMs` to be a positive number of milliseconds/);
    expect(() => store.set('a', 1, Number.NaN)).toThrow(InvalidOptionError);
    expect(() => store.set('a', -1)).toThrow(/non-negative number of bytes/);
    expect(() => store.set('a', 5000)).toThrow(ValueTooLargeError);
    expect(store.size).toBe(0);
  });

  it('warns once, with a code, when configured unbounded', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    new MemoryStore({ maxEntries: Number.POSITIVE_INFINITY });
    new MemoryStore({ maxEntries: Number.POSITIVE_INFINITY });
    new MemoryStore({ maxEntries: Number.POSITIVE_INFINITY, maxBytes: 10 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'STRATACACHE_UNBOUNDED' });
  });
});
