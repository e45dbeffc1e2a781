import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../src/distributed/hash-ring.js';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { InvalidKeyError, StoreError } from '../../../src/errors.js';
import { type ChaosControls, chaosStore } from '../../../src/testing/chaos-store.js';
import { MapStore } from '../../../src/testing/map-store.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

function pool(names = ['n1:1', 'n2:1', 'n3:1']) {
  const now = { t: 0 };
  const maps = new Map<string, MapStore>();
  const chaos = new Map<string, ChaosControls>();
  const nodes = Object.fromEntries(
    names.map((name) => {
      const map = new MapStore({ name });
      const { store, controls } = chaosStore(map, () => 0);
      maps.set(name, map);
      chaos.set(name, controls);
      return [name, store];
    }),
  );
  const store = new ShardedStore({
    nodes,
    eject: { failures: 3, retryAfterMs: 1000 },
    clock: { now: () => now.t },
  });
  return { store, maps, chaos, now, ring: new HashRing(names) };
}

const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);

describe('ShardedStore routing', () => {
  it('puts each key on its ketama node and groups batch calls per node', async () => {
    const { store, maps, ring, chaos } = pool();
    await store.setMany(keys.map((key) => ({ key, value: bytes(key) })));
    for (const key of keys) {
      const owner = ring.getNode(key)!;
      expect(store.nodeFor(key)).toBe(owner);
      expect(text(await maps.get(owner)!.get(key))).toBe(key);
      for (const [name, map] of maps) if (name !== owner) expect(await map.has(key)).toBe(false);
    }
    const callsBefore = [...chaos.values()].map((c) => c.calls);
    const got = await store.getMany([...keys, 'absent']);
    expect(got.map(text)).toEqual([...keys, undefined]);
    // One getMany per node, not one call per key.
    expect([...chaos.values()].map((c, i) => c.calls - callsBefore[i]!)).toEqual([1, 1, 1]);
    expect(await store.deleteMany(keys.slice(0, 10))).toBe(10);
    expect((await store.getMany(keys.slice(0, 10))).every((v) => v === undefined)).toBe(true);
  });

  it('clears a prefix on every node and exposes scan/incr only when every node has them', async () => {
    const { store } = pool();
    await store.setMany(keys.map((key) => ({ key: `p:${key}`, value: bytes('1') })));
    await store.set('q:keep', bytes('2'));
    await store.clear('p:');
    expect((await store.getMany(keys.map((k) => `p:${k}`))).every((v) => v === undefined)).toBe(true);
    expect(text(await store.get('q:keep'))).toBe('2');
    expect(store.capabilities.scan).toBe(true);
    const found: string[] = [];
    await store.set('s:1', bytes('x'));
    await store.set('s:2', bytes('x'));
    for await (const k of store.scan!('s:*')) found.push(k);
    expect(found.sort()).toEqual(['s:1', 's:2']);
    expect(typeof store.incr).toBe('function'); // every node (a chaos-wrapped MapStore) has incr
  });
});

describe('ShardedStore ejection', () => {
  it('answers reads of a failing node as misses, ejects it after 3 failures and remaps its keys', async () => {
    const { store, chaos, now, ring } = pool();
    const events: string[] = [];
    store.on('eject', (e) => events.push(`eject ${e.node}`));
    store.on('rejoin', (e) => events.push(`rejoin ${e.node}`));
    store.on('error', () => {
      throw new Error('a throwing listener must not break the store');
    });
    await store.setMany(keys.map((key) => ({ key, value: bytes(key) })));
    const victim = 'n2:1';
    const victimKeys = keys.filter((k) => ring.getNode(k) === victim);
    chaos.get(victim)!.failRate = 1;

    expect(await store.get(victimKeys[0]!)).toBeUndefined();
    expect(await store.has(victimKeys[1]!)).toBe(false);
    await expect(store.set(victimKeys[2]!, bytes('x'))).rejects.toBeInstanceOf(StoreError);
    expect(store.stats()[victim]).toMatchObject({ state: 'ejected', errors: 3, ejections: 1, retryAt: 1000 });
    expect(events).toEqual([`eject ${victim}`]);

    // Keys remap to live nodes: misses, then writable; the dead node is no longer called.
    const calls = chaos.get(victim)!.calls;
    const after = await store.getMany(keys);
    keys.forEach((k, i) => {
      if (victimKeys.includes(k)) expect(after[i]).toBeUndefined();
      else expect(text(after[i])).toBe(k);
    });
    await store.set(victimKeys[0]!, bytes('remapped'));
    expect(text(await store.get(victimKeys[0]!))).toBe('remapped');
    expect(store.nodeFor(victimKeys[0]!)).not.toBe(victim);
    expect(chaos.get(victim)!.calls).toBe(calls);

    // After the window it rejoins on probation: one failure ejects it again.
    now.t = 1000;
    expect(store.nodeFor(victimKeys[0]!)).toBe(victim);
    expect(store.stats()[victim]!.state).toBe('probation');
    expect(await store.get(victimKeys[0]!)).toBeUndefined();
    expect(store.stats()[victim]).toMatchObject({ state: 'ejected', ejections: 2, retryAt: 2000 });

    // Healthy again: it rejoins and a success makes it `up`.
    chaos.get(victim)!.failRate = 0;
    now.t = 2500;
    expect(text(await store.get(victimKeys[3]!))).toBe(victimKeys[3]);
    expect(store.stats()[victim]!.state).toBe('up');
    expect(events).toEqual([`eject ${victim}`, `rejoin ${victim}`, `eject ${victim}`, `rejoin ${victim}`]);
  });

  it('does not count usage errors as node failures, and rejects writes when every node is out', async () => {
    const { store, chaos } = pool(['only:1']);
    const inner = chaos.get('only:1')!;
    class PickyStore extends MapStore {
      override async set(): Promise<void> {
        throw new InvalidKeyError('bad key');
      }
    }
    const bad = new ShardedStore({ nodes: { a: new PickyStore() } });
    for (let i = 0; i < 5; i++)
      await expect(bad.set('k', bytes('v'))).rejects.toBeInstanceOf(InvalidKeyError);
    expect(bad.stats().a!.state).toBe('up');

    inner.failRate = 1;
    for (let i = 0; i < 3; i++) expect(await store.get('k')).toBeUndefined();
    expect(store.stats()['only:1']!.state).toBe('ejected');
    expect(await store.get('k')).toBeUndefined();
    expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    await expect(store.set('k', bytes('v'))).rejects.toThrow(/every node of the pool is ejected/);
  });

  it('never ejects with eject: false and validates options', () => {
    expect(() => new ShardedStore({ nodes: {} })).toThrow(/node name → Store/);
    expect(() => new ShardedStore({ nodes: { a: new MapStore() }, eject: { failures: 0 } })).toThrow(
      /eject\.failures/,
    );
    expect(() => new ShardedStore({ nodes: { a: new MapStore() }, rings: {} } as never)).toThrow(
      /Unknown option/,
    );
  });
});
