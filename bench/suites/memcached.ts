/**
 * Memcached tier throughput against memjs 1.3 (binary protocol, one connection per server, no multi-get),
 * on private memcached servers started by the suite:
 * - getMany of 100 keys over a 3-node pool (8 concurrent callers): stratacache `ShardedStore.getMany` (one
 *   quiet `mg` batch per node, nodes in parallel) against memjs doing the same 100 gets in parallel (its
 *   best effort) and against our own 100 parallel single-key gets.
 * - Single-key get and set on one server with 64 concurrent callers: `MemcachedStore`, the bare
 *   `MemcachedClient`, and memjs.
 * Values are 250 bytes; every read checks that it hit.
 */
import { performance } from 'node:perf_hooks';
import memjs from 'memjs';
import { ShardedStore } from '../../src/distributed/sharded-store.js';
import { MemcachedClient } from '../../src/stores/memcached/memcached-client.js';
import { MemcachedStore } from '../../src/stores/memcached/memcached-store.js';
import { startMemcached } from '../../test/helpers/servers.js';
import { median, report, type Table } from '../lib/report.js';

const ROUNDS = 5;
const ROUND_MS = 800;
const KEYS = 10_000;
const value = Buffer.alloc(250, 'v');
const keys = Array.from({ length: KEYS }, (_, i) => `bench:item:${i}`);

type Op = (i: number) => Promise<void>;

/** Operations per second of `callers` closed loops running `op` for `ms`. */
async function closedLoop(callers: number, ms: number, op: Op): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      let i = c * 7919;
      while (performance.now() < end) {
        await op(i);
        i += 1;
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

function hit(v: unknown): void {
  if (v === undefined || v === null) throw new Error('benchmark read missed');
}

async function measure(
  title: string,
  note: string,
  unit: string,
  callers: number,
  contenders: Array<[string, Op]>,
  reference: string,
  scale = 1,
): Promise<Table> {
  for (const [, op] of contenders) await closedLoop(callers, 200, op);
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [c, [, op]] of contenders.entries())
      samples[c]!.push((await closedLoop(callers, ROUND_MS, op)) * scale);
  }
  const ref = median(samples[contenders.findIndex(([n]) => n === reference)]!);
  return {
    title,
    note: `${note} ${ROUNDS} rounds of ${ROUND_MS} ms; ratio of medians to ${reference}.`,
    columns: ['contender', `${unit} (median)`, 'min', 'max', `ratio vs ${reference}`],
    rows: contenders.map(([name], c) => {
      const s = samples[c]!;
      return [name, median(s), Math.min(...s), Math.max(...s), `${(median(s) / ref).toFixed(2)}×`];
    }),
  };
}

const servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
const addresses = servers.map((s) => `${s.host}:${s.port}`);
const quiet = { log: () => {} };
try {
  const sharded = new ShardedStore({
    nodes: Object.fromEntries(
      servers.map((s) => [`${s.host}:${s.port}`, new MemcachedStore({ host: s.host, port: s.port })]),
    ),
  });
  const memjsPool = memjs.Client.create(addresses.join(','), { timeout: 2, retries: 0, logger: quiet });
  await sharded.setMany(keys.map((key) => ({ key, value })));
  for (let i = 0; i < KEYS; i += 500) {
    await Promise.all(keys.slice(i, i + 500).map((key) => memjsPool.set(key, value, { expires: 0 })));
  }
  const batch = (i: number): string[] =>
    Array.from({ length: 100 }, (_, j) => keys[(i * 100 + j * 37) % KEYS]!);

  const tables: Table[] = [];
  tables.push(
    await measure(
      'getMany of 100 keys over 3 memcached nodes, 8 concurrent callers',
      'Keys fetched per second.',
      'keys/s',
      8,
      [
        [
          'stratacache ShardedStore.getMany (quiet mg batch per node)',
          async (i) => {
            for (const v of await sharded.getMany(batch(i))) hit(v);
          },
        ],
        [
          'stratacache ShardedStore, 100 parallel get()',
          async (i) => {
            for (const v of await Promise.all(batch(i).map((k) => sharded.get(k)))) hit(v);
          },
        ],
        [
          'memjs, 100 parallel get()',
          async (i) => {
            for (const r of await Promise.all(batch(i).map((k) => memjsPool.get(k)))) hit(r.value);
          },
        ],
      ],
      'memjs, 100 parallel get()',
      100,
    ),
  );
  await sharded.close();
  memjsPool.close();

  const server = servers[0]!;
  const store = new MemcachedStore({ host: server.host, port: server.port });
  const client = new MemcachedClient({ host: server.host, port: server.port });
  const mj = memjs.Client.create(addresses[0]!, { timeout: 2, retries: 0, logger: quiet });
  await store.setMany(keys.map((key) => ({ key, value })));
  const key = (i: number): string => keys[(i * 31) % KEYS]!;
  tables.push(
    await measure(
      'Single-key get, one server, 64 concurrent callers',
      'Every get is a hit of a 250-byte value.',
      'ops/s',
      64,
      [
        ['stratacache MemcachedStore.get', async (i) => hit(await store.get(key(i)))],
        ['stratacache MemcachedClient.get', async (i) => hit(await client.get(key(i)))],
        ['memjs get', async (i) => hit((await mj.get(key(i))).value)],
      ],
      'memjs get',
    ),
  );
  tables.push(
    await measure(
      'Single-key set, one server, 64 concurrent callers',
      '250-byte values, 60 s TTL.',
      'ops/s',
      64,
      [
        ['stratacache MemcachedStore.set', (i) => store.set(key(i), value, 60_000)],
        [
          'stratacache MemcachedClient.set',
          async (i) => {
            await client.set(key(i), value, { ttlMs: 60_000 });
          },
        ],
        [
          'memjs set',
          async (i) => {
            await mj.set(key(i), value, { expires: 60 });
          },
        ],
      ],
      'memjs set',
    ),
  );
  await store.close();
  await client.close();
  mj.close();
  report('memcached', tables);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
