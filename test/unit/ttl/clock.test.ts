import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/testing/index.js';
import { runAfter, runEvery } from '../../../src/ttl/clock.js';

describe('ManualClock', () => {
  it('runs due timers in due-time order, then scheduling order, with now() at each due time', () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push('late'), 31);
    clock.advance(30);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
  });

  it('runs a timer scheduled by a timer within the same advance, and not one that falls after it', () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
      clock.setTimeout(() => seen.push(clock.now()), 50);
    }, 10);
    clock.advance(20);
    expect(seen).toEqual([10, 15]);
    clock.advance(40);
    expect(seen).toEqual([10, 15, 60]);
  });

  it('ignores cleared, fired and foreign handles; rejects a negative or non-finite advance', () => {
    const clock = new ManualClock(0);
    let fired = 0;
    const h = clock.setTimeout(() => fired++, 1);
    clock.clearTimeout(h);
    clock.clearTimeout('nope');
    clock.advance(5);
    expect(fired).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(/finite ms/);
    expect(() => new ManualClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('advanceAsync lets promise work started by a timer schedule the next timer', async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(() => seen.push(clock.now()), 10));
    }, 10);
    await clock.advanceAsync(30, 10);
    expect(seen).toEqual([20]);
  });
});

describe('runAfter / runEvery on a clock', () => {
  it('schedule on the clock when it has timers, and cancel idempotently', () => {
    const clock = new ManualClock(0);
    let a = 0;
    let e = 0;
    const once = runAfter(clock, 10, () => a++);
    const rep = runEvery(clock, 10, () => e++);
    clock.advance(35);
    expect([a, e]).toEqual([1, 3]);
    rep.cancel();
    rep.cancel();
    once.cancel();
    clock.advance(100);
    expect([a, e]).toEqual([1, 3]);
    expect(clock.pending).toBe(0);
  });

  it('fall back to the event loop without clock timers', async () => {
    let fired = false;
    runAfter({ now: () => 0 }, 1, () => (fired = true), true);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(true);
  });
});

describe('the clock option', () => {
  it('refuses a clock with only one of setTimeout/clearTimeout', () => {
    const half = { now: () => 0, setTimeout: () => 1 };
    expect(() => new Cache({ clock: half })).toThrow(InvalidOptionError);
    expect(() => new Cache({ clock: half })).toThrow(
      /both setTimeout\(\) and clearTimeout\(\) or neither, got only setTimeout/,
    );
  });
});
