import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { StoreError } from '../../../src/errors.js';
import { SyncedNumbers } from '../../../src/invalidation/synced-numbers.js';
import type { Bus, BusMessage } from '../../../src/stores/bus.js';
import type { Store } from '../../../src/stores/store.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { ManualClock } from '../../helpers/clock.js';

/** An in-process bus hub whose members can be cut off (messages to them are lost) and reset. */
function busHub() {
  const members: Array<{ onMessage: (m: BusMessage) => void; onReset: () => void; cut: boolean }> = [];
  const member = (): { bus: Bus; cut(on: boolean): void; reset(): void } => {
    const m = { onMessage: (_: BusMessage) => {}, onReset: () => {}, cut: false };
    members.push(m);
    return {
      bus: {
        async publish(message) {
          for (const o of members) if (!o.cut) o.onMessage(message);
        },
        async subscribe(onMessage, onReset) {
          m.onMessage = onMessage;
          m.onReset = onReset;
        },
        async close() {},
      },
      cut: (on) => {
        m.cut = on;
      },
      reset: () => m.onReset(),
    };
  };
  return { member };
}

/** `inner` seen through a view whose number reads (or `op`) can be made to fail (the other calls pass). */
function failingNumbers(inner: MapStore, op = 'getNumbers'): { store: Store; fail(on: boolean): void } {
  let failing = false;
  const store = new Proxy(inner, {
    get(target, p) {
      if (p === op && failing) {
        return async () => {
          throw new StoreError(`injected: ${op}`);
        };
      }
      const v: unknown = Reflect.get(target, p, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store, fail: (on) => (failing = on) };
}

describe('tag times and generations after a bus reset (issue 12)', () => {
  it('an invalidation lost during the cut is not undone by the reset: B re-reads the tag time', async () => {
    const clock = new ManualClock(1_000);
    const l2 = new MapStore({ clock });
    const hub = busHub();
    const [ba, bb] = [hub.member(), hub.member()];
    const a = new Cache({ l2, bus: ba.bus, clock });
    const b = new Cache({ l2, bus: bb.bus, clock });
    await a.set('k', 'old', { tags: ['t'] });
    clock.advance(1);
    expect(await b.get('k')).toBe('old');
    bb.cut(true);
    await a.invalidateTags(['t']); // B never hears of it
    bb.cut(false);
    bb.reset(); // B purges L1; before the fix it kept trusting its tag time and re-read 'old' from L2
    expect(await b.get('k')).toBeUndefined();
    clock.advance(1);
    expect(await b.getOrSet('k', async () => 'new', { tags: ['t'] })).toBe('new');
    expect(await b.get('k')).toBe('new');
    await a.close();
    await b.close();
  });

  it('a namespace clear lost during the cut: after the reset the known generation is a floor, even when L2 cannot answer the re-read', async () => {
    const inner = new MapStore();
    const { store, fail } = failingNumbers(inner);
    const hub = busHub();
    const [ba, bb] = [hub.member(), hub.member()];
    const a = new Cache({ l2: inner, bus: ba.bus });
    const b = new Cache({ l2: store, bus: bb.bus, circuitBreaker: { failures: 1000 } });
    await a.namespace('n').set('k', 'old');
    expect(await b.namespace('n').get('k')).toBe('old');
    await a.namespace('n').clear(); // B learns generation 1
    expect(await b.namespace('n').get('k')).toBeUndefined();
    bb.cut(true);
    await a.namespace('n').clear(); // generation 2, lost for B
    bb.cut(false);
    fail(true);
    bb.reset();
    // Before the fix B forgot its generations: with the re-read failing it fell back to generation 0 and
    // served the value cleared two generations ago.
    expect(await b.namespace('n').get('k')).toBeUndefined();
    fail(false);
    await a.namespace('n').set('k', 'gen2');
    expect(await b.namespace('n').get('k')).toBe('gen2');
    await a.close();
    await b.close();
  });

  it('a tag-time read in flight across the reset does not count as the re-read', async () => {
    const clock = new ManualClock(1_000);
    const inner = new MapStore({ clock });
    let hold: Promise<void> | undefined;
    let reading: () => void = () => {};
    const store = new Proxy(inner, {
      get(target, p) {
        if (p === 'getNumbers') {
          return async (keys: readonly string[]) => {
            const answer = await target.getNumbers(keys); // read now, answered after `hold`
            if (hold !== undefined) {
              reading();
              await hold;
            }
            return answer;
          };
        }
        const v: unknown = Reflect.get(target, p, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const hub = busHub();
    const [ba, bb] = [hub.member(), hub.member()];
    const a = new Cache({ l2: inner, bus: ba.bus, clock });
    const b = new Cache({ l2: store, bus: bb.bus, clock });
    await a.set('k', 'old', { tags: ['t'] });
    clock.advance(1);
    let release: () => void = () => {};
    hold = new Promise((r) => (release = r));
    const inFlight = new Promise<void>((r) => (reading = r));
    const first = b.get('k'); // its tag-time read happens before the invalidation
    await inFlight;
    bb.cut(true);
    await a.invalidateTags(['t']);
    bb.cut(false);
    bb.reset();
    hold = undefined;
    release();
    expect(await first).toBe('old'); // started before the reset: may be old
    expect(await b.get('k')).toBeUndefined(); // but the answer it got is not trusted after the reset
    await a.close();
    await b.close();
  });

  it('a re-read after a reset never moves a tag time backwards', async () => {
    const inner = new MapStore();
    const { store, fail } = failingNumbers(inner);
    const clock = new ManualClock(1_000_000);
    const hub = busHub();
    const bb = hub.member();
    const b = new Cache({ l2: store, bus: bb.bus, clock, circuitBreaker: { failures: 1000 } });
    await b.set('k', 'v', { tags: ['t'] });
    fail(true);
    clock.advance(10);
    await b.invalidateTags(['t']); // recorded locally; L2's setMax still works (only reads fail)
    await inner.delete('__sc_meta:tag:t'); // L2 lost the number (an eviction, a failover)
    fail(false);
    bb.reset();
    clock.advance(10);
    await b.set('k2', 'v2', { tags: ['t'] });
    expect(await b.get('k')).toBeUndefined();
    expect(await b.get('k2')).toBe('v2');
    await b.close();
  });
});

describe('a local invalidation L2 did not take', () => {
  it('is applied locally but not trusted: the next read still consults L2, which may know a later one', async () => {
    const clock = new ManualClock(1_000);
    const inner = new MapStore({ clock });
    const { store, fail } = failingNumbers(inner, 'setMax');
    const hub = busHub();
    const [ba, bb] = [hub.member(), hub.member()];
    const a = new Cache({ l2: inner, bus: ba.bus, clock });
    const b = new Cache({ l2: store, bus: bb.bus, clock, circuitBreaker: { failures: 1000 } });
    bb.cut(true);
    fail(true);
    clock.advance(1);
    await b.invalidateTags(['t']); // B: 1001, L2 did not take it
    clock.advance(1);
    await a.set('k', 'mid', { tags: ['t'] }); // 1002
    clock.advance(1);
    await a.invalidateTags(['t']); // 1003 in L2; B never hears of it
    fail(false);
    // Before the fix B trusted its own 1001 for good (the bus was up) and served 'mid'.
    expect(await b.get('k')).toBeUndefined();
    await a.close();
    await b.close();
  });
});

describe('same-millisecond tag invalidations', () => {
  it('a second invalidation in the same ms, after a set, invalidates again (and announces the recorded time)', async () => {
    const clock = new ManualClock(5_000);
    const hub = busHub();
    const [ba, bb] = [hub.member(), hub.member()];
    const l2 = new MapStore({ clock });
    const a = new Cache({ l2, bus: ba.bus, clock });
    const b = new Cache({ l2, bus: bb.bus, clock });
    await a.set('k', 1, { tags: ['t'] });
    await a.invalidateTags(['t']);
    expect(await a.get('k')).toBeUndefined();
    await a.set('k', 2, { tags: ['t'] });
    expect(await a.get('k')).toBe(2);
    expect(await b.get('k')).toBe(2);
    await a.invalidateTags(['t']); // the clock has not moved
    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBeUndefined(); // B judges by the announced time
    await a.set('k', 3, { tags: ['t'] });
    expect(await a.get('k')).toBe(3);
    expect(await b.get('k')).toBe(3);
    await a.close();
    await b.close();
  });
});

describe('bounded tag state', () => {
  it('keeps at most the cap and never lets an evicted time go backwards', () => {
    const clock = new ManualClock(0);
    const n = new SyncedNumbers(undefined, 'x:', clock, 1000, 'floor', 100);
    for (let i = 1; i <= 1000; i++) {
      n.learn(`t${i}`, i);
      expect(n.size).toBeLessThanOrEqual(100);
    }
    for (let i = 1; i <= 1000; i++) expect(n.peek(`t${i}`)).toBeGreaterThanOrEqual(i);
    expect(n.floor).toBeGreaterThan(0);
    expect(n.floor).toBeLessThan(1000);
    expect(n.peek('never-seen')).toBe(n.floor); // conservative: as if invalidated at the floor
  });

  it('works with a cap of one', () => {
    const n = new SyncedNumbers(undefined, 'x:', new ManualClock(0), 1000, 'floor', 1);
    for (let i = 1; i <= 10; i++) n.learn(`t${i}`, i);
    expect(n.size).toBe(1);
    expect(n.peek('t10')).toBe(10);
    expect(n.peek('t1')).toBe(9);
  });

  it('evicts never-invalidated tags first, which raises no floor', () => {
    const n = new SyncedNumbers(undefined, 'x:', new ManualClock(0), 1000, 'floor', 100);
    for (let i = 0; i < 50; i++) n.learn(`hot${i}`, 1000 + i);
    for (let i = 0; i < 10_000; i++) n.learn(`cold${i}`, 0);
    expect(n.size).toBeLessThanOrEqual(100);
    expect(n.floor).toBe(0);
    for (let i = 0; i < 50; i++) expect(n.peek(`hot${i}`)).toBe(1000 + i);
  });

  it('namespace generations are never evicted (no safe stand-in)', () => {
    const n = new SyncedNumbers(undefined, 'x:', new ManualClock(0), 1000, 'keep', 100);
    for (let i = 0; i < 1000; i++) n.learn(`ns${i}`, i + 1);
    expect(n.size).toBe(1000);
  });

  it('through a Cache, past the cap: an entry older than an evicted time is a miss, a newer one is a hit', async () => {
    const clock = new ManualClock(1_000);
    const cache = new Cache({ l2: new MapStore({ clock }), clock, l1: { maxEntries: 100 } });
    await cache.set('old', 'o', { tags: ['a'] });
    for (let i = 0; i < 60_000; i++) {
      clock.advance(1);
      await cache.invalidateTags([`churn:${i}`]);
    }
    clock.advance(1);
    await cache.set('new', 'n', { tags: ['a'] });
    expect(await cache.get('new')).toBe('n');
    // 'a' was tracked (never invalidated, time 0) and evicted first; it is re-read, and the floor rules.
    clock.advance(2000);
    expect(await cache.get('old')).toBeUndefined();
    expect(await cache.get('new')).toBe('n');
  });
});
