import { describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { LoaderTimeoutError } from '../../../src/errors.js';
import { ManualClock, sleep } from '../../helpers/clock.js';

describe('stale-while-revalidate', () => {
  it('returns the expired value at once and refreshes it in the background, once', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, staleWhileRevalidate: 5000 });
    let n = 0;
    let release: () => void = () => {};
    const loader = async () => {
      n++;
      if (n > 1) await new Promise<void>((r) => (release = r));
      return `v${n}`;
    };
    expect(await cache.getOrSet('k', loader)).toBe('v1');
    clock.advance(1500);
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('k', loader)));
    expect(during.every((v) => v === 'v1')).toBe(true);
    expect(n).toBe(2);
    release();
    await sleep(5);
    expect(await cache.getOrSet('k', loader)).toBe('v2');
    expect(n).toBe(2);
    expect(cache.stats().stale.swr).toBe(20);
    expect(cache.stats().loads.refreshes).toBe(1);
  });

  it('does not serve past the window', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, staleWhileRevalidate: 500 });
    let n = 0;
    await cache.getOrSet('k', async () => ++n);
    clock.advance(1600);
    expect(await cache.getOrSet('k', async () => ++n)).toBe(2);
  });
});

describe('fail-safe (grace)', () => {
  it('serves the graced value when the loader throws, and throttles retries', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 60_000, graceBackoff: 5000 });
    const events: string[] = [];
    cache.on('stale', (e) => events.push(e.reason));
    let calls = 0;
    let fail = false;
    const loader = async () => {
      calls++;
      if (fail) throw new Error('source down');
      return 'good';
    };
    await cache.getOrSet('k', loader);
    fail = true;
    clock.advance(2000);
    expect(await cache.getOrSet('k', loader)).toBe('good');
    expect(calls).toBe(2);
    clock.advance(1000);
    expect(await cache.getOrSet('k', loader)).toBe('good');
    expect(calls).toBe(2);
    clock.advance(5000);
    expect(await cache.getOrSet('k', loader)).toBe('good');
    expect(calls).toBe(3);
    expect(cache.stats().stale.failSafe).toBe(2);
    expect(events).toEqual(['fail-safe', 'fail-safe']);
  });

  it('rethrows when no graced value exists or grace has passed', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 1000 });
    await cache.getOrSet('k', async () => 'v');
    clock.advance(2500);
    await expect(cache.getOrSet('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(cache.getOrSet('other', async () => Promise.reject(new Error('y')))).rejects.toThrow('y');
  });

  it('never serves a tag-invalidated value from grace', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 60_000 });
    await cache.getOrSet('k', async () => 'old', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await expect(
      cache.getOrSet('k', async () => Promise.reject(new Error('down')), { tags: ['t'] }),
    ).rejects.toThrow('down');
  });
});

/** A loader that settles only when told to, so a test decides what finishes first. */
function gated<T>(value: T) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  let signal: AbortSignal | undefined;
  const loader = async (ctx: { signal: AbortSignal }) => {
    calls++;
    signal = ctx.signal;
    await gate;
    return value;
  };
  return { loader, release: () => release(), calls: () => calls, signal: () => signal };
}

/** Lets the cache's promise callbacks run (a loader starting, a timer's settle reaching the caller). */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('loader timeouts (on the injected clock)', () => {
  it('soft timeout serves stale while the slow load finishes in the background and fills the cache', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 60_000, timeouts: { soft: 20 } });
    await cache.getOrSet('k', async () => 'old');
    clock.advance(1500);
    const slow = gated('new');
    const pending = cache.getOrSet('k', slow.loader);
    await turn();
    clock.advance(19);
    await turn();
    expect(cache.stats().stale.softTimeout).toBe(0); // 19 ms: not yet
    clock.advance(1);
    expect(await pending).toBe('old');
    expect(cache.stats().stale.softTimeout).toBe(1);
    slow.release();
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('new'), { timeout: 5000 });
    expect(slow.calls()).toBe(1);
  });

  it('soft timeout without a stale value waits for the loader', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, timeouts: { soft: 10 } });
    const slow = gated('v');
    const pending = cache.getOrSet('k', slow.loader);
    await turn();
    clock.advance(1000);
    slow.release();
    expect(await pending).toBe('v');
    expect(cache.stats().stale.softTimeout).toBe(0);
  });

  it('hard timeout rejects with LoaderTimeoutError and aborts the loader signal', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, timeouts: { hard: 30 } });
    const slow = gated('late');
    const pending = cache.getOrSet('k', slow.loader).catch((e: unknown) => e);
    await turn();
    clock.advance(30);
    const err = await pending;
    expect(err).toBeInstanceOf(LoaderTimeoutError);
    expect((err as LoaderTimeoutError).code).toBe('ERR_CACHE_LOADER_TIMEOUT');
    expect(slow.signal()?.aborted).toBe(true);
    expect(cache.stats().loads.timeouts).toBe(1);
    // The late value of an aborted load is not committed.
    slow.release();
    await turn();
    expect(await cache.get('k')).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('hard timeout with a graced value serves it (fail-safe)', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 60_000 });
    await cache.getOrSet('k', async () => 'old');
    clock.advance(2000);
    const slow = gated('new');
    const pending = cache.getOrSet('k', slow.loader, { timeouts: { hard: 20 } });
    await turn();
    clock.advance(20);
    expect(await pending).toBe('old');
    expect(cache.stats().stale.failSafe).toBe(1);
    slow.release();
  });

  it('a load that settles first cancels its timers', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, grace: 60_000, timeouts: { soft: 50, hard: 500 } });
    await cache.getOrSet('k', async () => 'old');
    clock.advance(1500);
    const quick = gated('new');
    const pending = cache.getOrSet('k', quick.loader);
    await turn();
    expect(clock.pending).toBe(2);
    quick.release();
    expect(await pending).toBe('new');
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(cache.stats().stale.softTimeout).toBe(0);
    expect(cache.stats().loads.timeouts).toBe(0);
  });
});

describe('refresh failures', () => {
  it('retries a failing background refresh at most every graceBackoff, not on every read', async () => {
    const clock = new ManualClock();
    const cache = new Cache({
      clock,
      ttl: 1000,
      staleWhileRevalidate: 60_000,
      grace: 600_000,
      graceBackoff: 2000,
    });
    let calls = 0;
    let fail = false;
    const loader = async () => {
      calls++;
      if (fail) throw new Error('source down');
      return 'v';
    };
    await cache.getOrSet('k', loader);
    fail = true;
    clock.advance(1500);
    for (let i = 0; i < 100; i++) {
      expect(await cache.getOrSet('k', loader)).toBe('v');
      await sleep(0);
    }
    expect(calls).toBe(2);
    clock.advance(2001);
    for (let i = 0; i < 10; i++) {
      await cache.getOrSet('k', loader);
      await sleep(0);
    }
    expect(calls).toBe(3);
  });
});
