/**
 * The overhead of the Keyv path: a read-through `wrap(key, fn)` through cache-manager 7 on stratacache
 * (`Keyv` + `KeyvStratacache`, and `createKeyv` with Keyv's serializer off) against cache-manager 7 on the
 * stock `@keyv/redis`, all on one private redis-server in the same run, plus stratacache's own `getOrSet`
 * as the floor of what the adapter adds. Two sections, 64 concurrent callers each:
 * (a) Redis only: 1,000 pre-populated keys of ~250-byte rows, read uniformly (every call a Redis hit);
 * (b) L1 + Redis: Zipf 0.99 over 10k pre-populated keys, an in-process tier of 1,000 entries (stratacache's
 *     L1; for the stock path, cache-manager's usual memory store `KeyvCacheableMemory` in front of Redis).
 * Every returned value is checked.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { KeyvCacheableMemory } from 'cacheable';
import { Keyv } from 'keyv';
import { Cache, type LoaderContext } from 'stratacache';
import { createKeyv, KeyvStratacache } from 'stratacache/keyv';
import { RedisStore } from 'stratacache/redis';
import { startRedis } from '../../test/helpers/servers.js';
import { type Product, product } from '../lib/product.js';
import { median, report, type Table } from '../lib/report.js';
import { createRandom, keyNames, shuffled, zipfTrace } from '../lib/traces.js';

const ROUNDS = 5;
const ROUND_MS = 700;
const WARMUP_MS = 400;
const SETTLE_MS = 100;
const CALLERS = 64;
const YIELD_EVERY = 64;
const TTL = 600_000;
const SEED = 42;

interface Peer {
  getOrSet(key: string): Promise<Product | undefined>;
  close(): Promise<void>;
}

interface Spec {
  name: string;
  setup: string;
  stock: boolean;
  create(url: string, l1: number | false, prefix: string): Promise<Peer>;
}

const load = async (key: string): Promise<Product> => product(key);

async function stratacacheOver(url: string, l1: number | false, prefix: string): Promise<Cache> {
  const store = new RedisStore({ url }, { prefix });
  await store.ready();
  return new Cache({ l2: store, l1: l1 === false ? false : { maxEntries: l1 }, ttl: TTL });
}

function cacheManagerOn(keyv: Keyv, cache: Cache): Peer {
  const cm = createCache({ ttl: TTL, stores: [keyv] });
  return {
    getOrSet: (key) => cm.wrap(key, () => load(key)),
    close: async () => {
      await cm.disconnect();
      await cache.close();
    },
  };
}

const SPECS: Spec[] = [
  {
    name: 'cache-manager → Keyv → KeyvStratacache',
    setup: '`createCache({ ttl, stores: [new Keyv({ store: new KeyvStratacache(cache), namespace })] })`',
    stock: false,
    async create(url, l1, prefix) {
      const cache = await stratacacheOver(url, l1, prefix);
      return cacheManagerOn(new Keyv({ store: new KeyvStratacache(cache), namespace: 'b' }), cache);
    },
  },
  {
    name: 'cache-manager → createKeyv (serializer off)',
    setup: '`createCache({ ttl, stores: [createKeyv(cache, { namespace })] })`',
    stock: false,
    async create(url, l1, prefix) {
      const cache = await stratacacheOver(url, l1, prefix);
      return cacheManagerOn(createKeyv(cache, { namespace: 'b' }) as Keyv, cache);
    },
  },
  {
    name: 'stratacache getOrSet (no Keyv, floor)',
    setup: '`cache.getOrSet(key, loader)` on the same `Cache`',
    stock: false,
    async create(url, l1, prefix) {
      const cache = await stratacacheOver(url, l1, prefix);
      const loader = (ctx: LoaderContext<Product>): Promise<Product> => load(ctx.key);
      return { getOrSet: (key) => cache.getOrSet(key, loader), close: () => cache.close() };
    },
  },
  {
    name: 'cache-manager → Keyv → @keyv/redis (stock)',
    setup:
      '`createCache({ ttl, stores: [[new Keyv({ store: new KeyvCacheableMemory({ lruSize }) }),] new Keyv({ store: new KeyvRedis(url, { namespace }) })] })`',
    stock: true,
    async create(url, l1, prefix) {
      const remote = new Keyv({ store: new KeyvRedis(url, { namespace: prefix.replace(/:$/, '') }) });
      remote.on('error', () => {});
      const stores =
        l1 === false ? [remote] : [new Keyv({ store: new KeyvCacheableMemory({ lruSize: l1 }) }), remote];
      const cm = createCache({ ttl: TTL, stores });
      return { getOrSet: (key) => cm.wrap(key, () => load(key)), close: () => cm.disconnect() };
    },
  },
];

interface Section {
  title: string;
  names: string[];
  trace: Uint32Array;
  l1: number | false;
}

interface Runner {
  spec: Spec;
  peer: Peer;
  pos: number;
  rates: number[];
  calls: number;
  cpu: number;
}

async function drive(r: Runner, s: Section, ms: number): Promise<number> {
  const { trace, names } = s;
  const deadline = performance.now() + ms;
  let calls = 0;
  const caller = async (): Promise<void> => {
    let own = 0;
    while (performance.now() < deadline) {
      // In-process hits never wait for I/O: let the loop run, as a server's requests would.
      if ((++own & (YIELD_EVERY - 1)) === 0) await yieldToLoop();
      const key = names[trace[r.pos]!]!;
      r.pos = r.pos + 1 === trace.length ? 0 : r.pos + 1;
      const v = await r.peer.getOrSet(key);
      if (v?.key !== key) throw new Error(`${r.spec.name} returned ${JSON.stringify(v)} for ${key}`);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return calls;
}

async function populate(peer: Peer, names: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const key = names[next++]!;
      if ((await peer.getOrSet(key))?.key !== key) throw new Error(`populate: wrong value for ${key}`);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, worker));
}

async function measure(s: Section, url: string, tag: string): Promise<Runner[]> {
  const runners: Runner[] = [];
  for (const [i, spec] of SPECS.entries()) {
    const peer = await spec.create(url, s.l1, `ko${tag}${i}:`);
    const r: Runner = { spec, peer, pos: 0, rates: [], calls: 0, cpu: 0 };
    await populate(peer, [...new Set(Array.from(s.trace, (id) => s.names[id]!))]);
    await drive(r, s, WARMUP_MS);
    runners.push(r);
  }
  const order = createRandom(SEED + 1);
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of shuffled(runners, order)) {
      (globalThis as { gc?: () => void }).gc?.();
      await sleep(SETTLE_MS);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const calls = await drive(r, s, ROUND_MS);
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      r.rates.push(calls / seconds);
      r.calls += calls;
      r.cpu += (c.user + c.system) / 1e6;
    }
  }
  for (const r of runners) await r.peer.close();
  process.stdout.write(`${s.title}: done\n`);
  return runners;
}

function table(s: Section, runners: Runner[]): Table {
  const stock = runners.find((r) => r.spec.stock)!;
  const stockRate = median(stock.rates);
  const stockCpu = stock.cpu / stock.calls;
  return {
    title: s.title,
    note: `Wall-clock \`wrap\`/\`getOrSet\` calls per second over ${ROUNDS} rounds of ${ROUND_MS} ms per contender (median, min, max; a new random order each round, each after a full GC and a ${SETTLE_MS} ms pause), ${CALLERS} closed-loop callers, after pre-population and ${WARMUP_MS} ms of warm-up; one private redis-server for all. "× stock" is ops/s over cache-manager on @keyv/redis (> 1 is faster); client CPU per call is this process's (the steadier figure on a shared 2-core machine).`,
    columns: [
      'contender',
      'ops/s (median)',
      'min',
      'max',
      '× stock ops/s',
      'client CPU µs/call',
      '× stock CPU',
    ],
    rows: runners.map((r) => {
      const cpu = r.cpu / r.calls;
      return [
        r.spec.name,
        median(r.rates),
        Math.min(...r.rates),
        Math.max(...r.rates),
        median(r.rates) / stockRate,
        cpu * 1e6,
        cpu / stockCpu,
      ];
    }),
  };
}

const redis = await startRedis();
try {
  const uniform = new Uint32Array(1 << 18);
  const random = createRandom(SEED);
  for (let i = 0; i < uniform.length; i++) uniform[i] = Math.floor(random() * 1_000);
  const zipf = zipfTrace(10_000, 1 << 18, 0.99, SEED);
  const sections: Section[] = [
    {
      title: 'Redis only: 1,000 keys, every call a Redis hit',
      names: keyNames(uniform),
      trace: uniform,
      l1: false,
    },
    {
      title: 'L1 (1,000 entries) + Redis: Zipf 0.99 over 10k keys',
      names: keyNames(zipf),
      trace: zipf,
      l1: 1_000,
    },
  ];
  const tables: Table[] = [];
  for (const [i, s] of sections.entries()) tables.push(table(s, await measure(s, redis.url, String(i))));
  tables.push({
    title: 'Setups',
    columns: ['contender', 'setup'],
    rows: SPECS.map((s) => [s.name, s.setup]),
  });
  report('keyv-overhead', tables);
} finally {
  await redis.stop();
}
