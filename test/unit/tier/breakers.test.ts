import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { StoreError } from '../../../src/errors.js';
import type { Store } from '../../../src/stores/store.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { Breakers, MAX_NODE_BREAKERS } from '../../../src/tier/breakers.js';
import { ManualClock } from '../../helpers/clock.js';

const options = { failures: 2, resetMs: 1000 };

/** A store naming the node of a key by its first letter (`A-1` is on node A); `down` nodes fail every call. */
class TwoNodeStore extends MapStore {
  readonly down = new Set<string>();
  calls = 0;
  nodeFor(key: string): string | undefined {
    const at = key.indexOf('-');
    return at < 0 ? undefined : key.slice(at - 1, at);
  }
  #check(key: string): void {
    this.calls++;
    if (this.down.has(this.nodeFor(key) ?? '')) throw new StoreError(`node of ${key} is down`);
  }
  override async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    return super.get(key);
  }
  override async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    this.#check(key);
    return super.set(key, value, ttlMs);
  }
}

function failTwice(breakers: Breakers, key: string): void {
  breakers.forKey(key).failure();
  breakers.forKey(key).failure();
}

describe('Breakers', () => {
  it("keeps node B's breaker closed while node A's opens", () => {
    const breakers = new Breakers(new TwoNodeStore(), options, new ManualClock());
    failTwice(breakers, 'A-1');
    expect(breakers.forKey('A-2').allow()).toBe(false);
    expect(breakers.forKey('B-1').allow()).toBe(true);
    expect(breakers.default.allow()).toBe(true);
    expect(breakers.anyOpen).toBe(true);
    expect(breakers.openByNode()).toEqual({ A: true, B: false });
  });

  it('a ready signal for one node probes that node (and the default breaker), not the others', () => {
    const clock = new ManualClock();
    const breakers = new Breakers(new TwoNodeStore(), options, clock);
    failTwice(breakers, 'A-1');
    failTwice(breakers, 'B-1');
    breakers.default.failure();
    breakers.default.failure();
    breakers.ready('A');
    expect(breakers.forKey('A-1').allow()).toBe(true);
    expect(breakers.forKey('B-1').allow()).toBe(false);
    expect(breakers.default.allow()).toBe(true);
    breakers.ready(undefined);
    expect(breakers.forKey('B-1').allow()).toBe(true);
  });

  it('uses the default breaker for stores that name no node, unknown nodes and keys spanning nodes', () => {
    const plain = new Breakers(new MapStore() as Store, options, new ManualClock());
    expect(plain.forKey('A-1')).toBe(plain.default);
    expect(plain.forKeys(['A-1', 'A-2'])).toBe(plain.default);
    const breakers = new Breakers(new TwoNodeStore(), options, new ManualClock());
    expect(breakers.forKey('nodeless')).toBe(breakers.default);
    expect(breakers.forKeys([])).toBe(breakers.default);
    expect(breakers.forKeys(['A-1', 'B-1'])).toBe(breakers.default);
    expect(breakers.forKeys(['A-1', 'A-2'])).toBe(breakers.forKey('A-3'));
  });

  it('holds at most MAX_NODE_BREAKERS: a closed one makes room, and when all are open the new node shares the default', () => {
    const breakers = new Breakers(new TwoNodeStore(), options, new ManualClock());
    // A node id is the character before '-': '0', '1', … up to the cap.
    const ids = Array.from({ length: MAX_NODE_BREAKERS }, (_, i) => String.fromCharCode(48 + i));
    for (const id of ids) failTwice(breakers, `${id}-k`);
    expect(Object.keys(breakers.openByNode())).toHaveLength(MAX_NODE_BREAKERS);
    expect(breakers.forKey('z-k')).toBe(breakers.default);
    breakers.forKey(`${ids[5]}-k`).success();
    const fresh = breakers.forKey('z-k');
    expect(fresh).not.toBe(breakers.default);
    expect(Object.keys(breakers.openByNode())).toHaveLength(MAX_NODE_BREAKERS);
    expect(breakers.openByNode()[ids[5]!]).toBeUndefined();
  });

  it('drops the breaker of a server the store no longer names once a new one appears (a failover)', () => {
    const store = new TwoNodeStore();
    let names = ['A', 'B'];
    const failedOver = Object.assign(store, { nodes: () => names });
    const breakers = new Breakers(failedOver, options, new ManualClock());
    breakers.forKey('B-1').success();
    failTwice(breakers, 'A-1');
    expect(breakers.anyOpen).toBe(true);
    // A's replica C took over its keys: A is gone from the store's servers.
    names = ['C', 'B'];
    expect(breakers.forKey('C-1').allow()).toBe(true);
    expect(breakers.openByNode()).toEqual({ B: false, C: false });
    expect(breakers.anyOpen).toBe(false);
  });
});

describe('Cache with a store that names its nodes', () => {
  it('keeps L2 hits on node B while node A fails, and serves A keys from the loader', async () => {
    const clock = new ManualClock();
    const store = new TwoNodeStore();
    const writer = new Cache({ l2: store, clock, l1: false });
    const keys = ['A-1', 'A-2', 'A-3', 'B-1', 'B-2', 'B-3'];
    for (const k of keys) await writer.set(k, k);
    const cache = new Cache({ l2: store, clock, l1: false, circuitBreaker: options });
    store.down.add('A');
    for (let round = 0; round < 3; round++) {
      for (const k of keys) expect(await cache.getOrSet(k, async () => `loaded ${k}`)).toMatch(k);
    }
    const stats = cache.stats();
    expect(stats.tiers.l2.hits).toBe(9);
    expect(stats.l2CircuitOpen).toBe(true);
    expect(stats.l2CircuitOpenByNode).toEqual({ A: true, B: false });
    const calls = store.calls;
    await cache.get('A-1');
    expect(store.calls).toBe(calls);
    await cache.get('B-1');
    expect(store.calls).toBe(calls + 1);
    await writer.close();
    await cache.close();
  });
});
