import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { chaosStore } from '../../../src/testing/chaos-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { MapStore } from '../../../src/testing/map-store.js';

/** A over the store directly, B through a chaos wrapper (its outages), one manual clock. */
function twoInstances() {
  const inner = new MapStore();
  const { store, controls } = chaosStore(inner);
  const clock = new ManualClock();
  const b = new Cache({
    l2: store,
    clock,
    syncInterval: 1000,
    circuitBreaker: { failures: 100, resetMs: 1 },
  });
  b.on('error', () => {});
  const a = new Cache({ l2: inner, clock, syncInterval: 1000 });
  return { inner, controls, clock, a, b };
}

// Found by the soak (issue 12): a namespace clear() went through L2's INCR and kept the larger of the reply
// and the known generation, so when L2 held less than this instance knew the clear changed nothing.
describe('a namespace clear() always moves the generation (issue 12)', () => {
  it('after a clear made while L2 was unreachable', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, circuitBreaker: { failures: 100, resetMs: 1 } });
    cache.on('error', () => {});
    const users = cache.namespace('users');
    await users.set('k', 'v0');
    controls.failRate = 1;
    await users.clear(); // counted locally only
    controls.failRate = 0;
    await users.set('k', 'v1');
    expect(await users.get('k')).toBe('v1');
    await users.clear();
    expect(await users.get('k')).toBeUndefined();
    await cache.close();
  });

  it("a clear made during an outage reaches L2 afterwards, so another instance's clear goes past it", async () => {
    const { inner, controls, clock, a, b } = twoInstances();
    const key = '__sc_meta:sc:gen:users';
    await b.namespace('users').get('k'); // B knows generation 0
    controls.failRate = 1;
    await b.namespace('users').clear(); // 1, locally only
    controls.failRate = 0;
    expect(await inner.getNumbers([key])).toEqual([0]);
    clock.advance(1500); // B's generation is due for a re-read
    await b.namespace('users').get('k');
    await new Promise((r) => setTimeout(r, 10)); // the hand-back runs in the background
    // B's outage bump (a random jump past 2^20, out of reach of other instances' bumps) is paid to L2.
    const [paid] = await inner.getNumbers([key]);
    expect(paid).toBeGreaterThan(2 ** 20);
    // A clears next: its generation goes past B's.
    await a.namespace('users').clear();
    expect(await inner.getNumbers([key])).toEqual([paid! + 1]);
  });

  it('a clear made during an outage is not lost when another instance reached the same generation', async () => {
    const { controls, clock, a, b } = twoInstances();
    const users = { a: a.namespace('users'), b: b.namespace('users') };
    await users.b.get('k');
    await users.a.clear(); // A: generation 1 in L2
    await users.a.set('k', 'written by A before B cleared');
    controls.failRate = 1;
    await users.b.clear(); // B, cut off from L2: generation 1 too, locally — another clear, the same number
    controls.failRate = 0;
    clock.advance(1500);
    // B cleared after A wrote: B must never be served that value.
    expect(await users.b.get('k')).toBeUndefined();
    await a.close();
    await b.close();
  });

  it('after L2 lost its counters (a restart without persistence)', async () => {
    const inner = new MapStore();
    const cache = new Cache({ l2: inner });
    const users = cache.namespace('users');
    for (let i = 0; i < 3; i++) await users.clear();
    await inner.clear(''); // everything gone, the generation counter included
    for (let i = 0; i < 4; i++) {
      await users.set('k', `v${i}`);
      expect(await users.get('k')).toBe(`v${i}`);
      await users.clear();
      expect(await users.get('k')).toBeUndefined();
    }
    await cache.close();
  });

  it('two instances clearing at once get distinct generations', async () => {
    const inner = new MapStore();
    const a = new Cache({ l2: inner });
    const b = new Cache({ l2: inner });
    await a.namespace('users').clear();
    await b.namespace('users').clear();
    await Promise.all([a.namespace('users').clear(), b.namespace('users').clear()]);
    // Every bump got its own number: the counter in L2 counts all four.
    expect(await inner.getNumbers(['__sc_meta:sc:gen:users'])).toEqual([4]);
    await a.close();
    await b.close();
  });
});

describe('getOrSet does not join a load of another version', () => {
  it('concurrent calls of two versions each get their own version', async () => {
    const cache = new Cache();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const v1 = cache.getOrSet(
      'k',
      async () => {
        await gate;
        return 'value of v1';
      },
      { version: 1 },
    );
    const v2 = cache.getOrSet('k', async () => 'value of v2', { version: 2 });
    release();
    expect(await Promise.all([v1, v2])).toEqual(['value of v1', 'value of v2']);
    // The later version's value is the one kept; the superseded v1 load did not write.
    expect(await cache.get('k', { version: 2 })).toBe('value of v2');
    expect(await cache.get('k', { version: 1 })).toBeUndefined();
    await cache.close();
  });
});
