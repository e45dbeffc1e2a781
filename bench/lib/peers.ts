/**
 * Adapters that give stratacache and each peer library the same call, `getOrSet(key)`: return the
 * cached value of `key`, or run the shared loader once, store its value and return it. Each adapter
 * uses its library's own read-through API (lru-cache `fetch`, bentocache `getOrSet`, cache-manager
 * `wrap`, cacheable `getOrSet`) in the cheapest idiomatic form that API allows.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable, KeyvCacheableMemory } from 'cacheable';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { Cache, type LoaderContext } from '../../src/cache.js';

/** Produces the value of a key on a miss. */
export type Load<V> = (key: string) => Promise<V>;

/** What every contender is built from. */
export interface PeerOptions<V> {
  /** Most entries the cache may hold. */
  capacity: number;
  /** Time to live of an entry (ms). */
  ttl: number;
  load: Load<V>;
  /**
   * Whether the workload can exceed `capacity`; when true, contenders whose default store is unbounded
   * are given the same entry bound as the others, so every contender plays by the same rules.
   */
  bounded: boolean;
}

/** One contender, ready to serve calls. */
export interface GetOrSetPeer<V> {
  getOrSet(key: string): Promise<V | undefined>;
  close(): Promise<void>;
}

/** A named way to build a contender. */
export interface PeerSpec {
  name: string;
  /** How it is configured, for the report. */
  setup: string;
  create<V extends object>(options: PeerOptions<V>): GetOrSetPeer<V>;
}

const stratacache: PeerSpec = {
  name: 'stratacache Cache (L1 only)',
  setup: '`new Cache({ l1: { maxEntries }, ttl })`, `getOrSet(key, loader)`',
  create<V extends object>({ capacity, ttl, load }: PeerOptions<V>): GetOrSetPeer<V> {
    const cache = new Cache({ l1: { maxEntries: capacity }, ttl });
    const loader = (ctx: LoaderContext<V>): Promise<V> => load(ctx.key);
    return {
      getOrSet: (key) => cache.getOrSet(key, loader),
      close: () => cache.close(),
    };
  },
};

function lruFetch(withTtl: boolean): PeerSpec {
  return {
    name: withTtl ? 'lru-cache 11 fetch' : 'lru-cache 11 fetch (no ttl)',
    setup: withTtl
      ? '`new LRUCache({ max, ttl, fetchMethod })`, `fetch(key)`'
      : '`new LRUCache({ max, fetchMethod })`, `fetch(key)`: no expiry at all',
    create<V extends object>({ capacity, ttl, load }: PeerOptions<V>): GetOrSetPeer<V> {
      const lru = new LRUCache<string, V>({
        max: capacity,
        ...(withTtl ? { ttl } : {}),
        fetchMethod: (key) => load(key),
      });
      return {
        getOrSet: (key) => lru.fetch(key),
        close: async () => lru.clear(),
      };
    },
  };
}

function bento(serialize: boolean): PeerSpec {
  return {
    name: serialize ? 'bentocache 1.6 (memory)' : 'bentocache 1.6 (memory, serialize: false)',
    setup: `\`bentostore().useL1Layer(memoryDriver({ maxItems${serialize ? '' : ', serialize: false'} }))\`, \`getOrSet({ key, factory, ttl })\``,
    create<V extends object>({ capacity, ttl, load }: PeerOptions<V>): GetOrSetPeer<V> {
      const cache = new BentoCache({
        default: 'memory',
        stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: capacity, serialize })) },
      });
      return {
        getOrSet: (key) => cache.getOrSet<V>({ key, factory: () => load(key), ttl }),
        close: () => cache.disconnectAll(),
      };
    },
  };
}

const cacheManager: PeerSpec = {
  name: 'cache-manager 7 wrap',
  setup:
    '`createCache({ ttl })` on its default `new Keyv()` (a Map); bounded runs: `new Keyv({ store: new KeyvCacheableMemory({ lruSize }) })`; `wrap(key, fn)`',
  create<V extends object>({ capacity, ttl, load, bounded }: PeerOptions<V>): GetOrSetPeer<V> {
    const cache = createCacheManager({
      ttl,
      ...(bounded ? { stores: [new Keyv({ store: new KeyvCacheableMemory({ lruSize: capacity }) })] } : {}),
    });
    return {
      getOrSet: (key) => cache.wrap(key, () => load(key)),
      close: async () => {
        await cache.disconnect();
      },
    };
  },
};

const cacheable: PeerSpec = {
  name: 'cacheable 2.5 getOrSet',
  setup:
    '`new Cacheable({ ttl })` on its default memory primary; bounded runs: `primary: new KeyvCacheableMemory({ lruSize })`; `getOrSet(key, fn)`',
  create<V extends object>({ capacity, ttl, load, bounded }: PeerOptions<V>): GetOrSetPeer<V> {
    const cache = new Cacheable({
      ttl,
      ...(bounded ? { primary: new KeyvCacheableMemory({ lruSize: capacity }) } : {}),
    });
    return {
      getOrSet: (key) => cache.getOrSet<V>(key, () => load(key)),
      close: () => cache.disconnect(),
    };
  },
};

/** The floor for an async in-process read-through: a plain, unbounded `Map` behind one `await`. */
const mapFloor: PeerSpec = {
  name: 'Map + await (floor)',
  setup:
    'a plain unbounded `Map`: `let v = map.get(k); if (v === undefined) { v = await load(k); map.set(k, v); }`',
  create<V extends object>({ load }: PeerOptions<V>): GetOrSetPeer<V> {
    const map = new Map<string, V>();
    return {
      async getOrSet(key) {
        let v = map.get(key);
        if (v === undefined) {
          v = await load(key);
          map.set(key, v);
        }
        return v;
      },
      close: async () => map.clear(),
    };
  },
};

/** Every contender of the getOrSet suites; the first is stratacache. */
export const GET_OR_SET_PEERS: readonly PeerSpec[] = [
  stratacache,
  lruFetch(true),
  lruFetch(false),
  bento(true),
  bento(false),
  cacheManager,
  cacheable,
  mapFloor,
];
