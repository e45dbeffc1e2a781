import { createClient, type RedisClientType } from '@redis/client';
import { Cache } from '../cache.js';
import { ShardedStore } from '../distributed/sharded-store.js';
import { MemcachedStore } from '../stores/memcached/memcached-store.js';
import { RedisClusterStore } from '../stores/redis/redis-cluster-store.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import type { RedisStoreBase } from '../stores/redis/redis-store-base.js';
import type { Store } from '../stores/store.js';
import { EXIT, Exit, type Globals, type Io, parseServers, usage } from './shared.js';

/**
 * How the commands reach the servers named by the global options: `--redis` (a `RedisStore`), `--cluster`
 * (a `RedisClusterStore`) or `--memcached` (a `MemcachedStore`, or a `ShardedStore` on the default ketama
 * ring over several). Every connection is bounded: an unreachable server ends the command with
 * `EXIT.unreachable` within a few seconds, never a hang.
 */

const CONNECT_TIMEOUT_MS = 3_000;
/** A key no cache writes: `has` on it proves a memcached server answers. */
const PROBE_KEY = '__stratacache:cli-probe';

/** The seed nodes of `--cluster` (comma-separated URLs); a usage error names what was given. */
export function clusterSeeds(io: Io, list: string): Array<{ url: string }> {
  const urls = list
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const url of urls) {
    if (!/^rediss?:\/\/[^/]/.test(url))
      usage(
        io,
        `--cluster expects comma-separated redis:// URLs of cluster nodes, got ${JSON.stringify(url)}`,
      );
  }
  if (urls.length === 0)
    usage(io, `--cluster expects at least one redis:// URL, got ${JSON.stringify(list)}`);
  return urls.map((url) => ({ url }));
}

/** What the error messages call the servers. */
function target(g: Globals): string {
  if (g.memcached) return `memcached at ${g.memcached}`;
  return g.cluster ? `Redis Cluster at ${g.cluster}` : `Redis at ${g.redis}`;
}

function unreachable(io: Io, g: Globals, err: unknown): never {
  io.err(`cannot reach ${target(g)}: ${err instanceof Error ? err.message : String(err)}`);
  throw new Exit(EXIT.unreachable);
}

async function openRedis(g: Globals, io: Io): Promise<RedisStoreBase> {
  const options = { prefix: g.storePrefix };
  const store: RedisStoreBase = g.cluster
    ? new RedisClusterStore({ rootNodes: clusterSeeds(io, g.cluster) }, options)
    : new RedisStore({ url: g.redis }, options);
  try {
    await store.ready({ timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    await store.close();
    unreachable(io, g, err);
  }
  return store;
}

/**
 * One `MemcachedStore` per server, each probed (a sharded store answers a dead node's reads as misses,
 * which would print "no entry" instead of "unreachable"); several are sharded as an application would
 * shard them: nodes named `host:port`, the default ketama ring, `=weight` as in `ring --servers`.
 */
async function openMemcached(g: Globals, io: Io, list: string): Promise<Store> {
  const { names, weights } = parseServers(io, '--memcached', list);
  for (const name of names) {
    if (!/^[^:/\s]+:\d{1,5}$/.test(name))
      usage(io, `--memcached expects host:port[=weight] items, got ${JSON.stringify(name)}`);
  }
  const nodes = names.map(
    (name) =>
      [
        name,
        new MemcachedStore({ url: `memcached://${name}`, connectTimeoutMs: CONNECT_TIMEOUT_MS, poolSize: 1 }),
      ] as const,
  );
  const probes = await Promise.allSettled(nodes.map(([, store]) => store.has(PROBE_KEY)));
  const failed = probes.findIndex((p) => p.status === 'rejected');
  if (failed >= 0) {
    await Promise.all(nodes.map(([, store]) => store.close()));
    unreachable(io, g, `${names[failed]}: ${String((probes[failed] as PromiseRejectedResult).reason)}`);
  }
  if (nodes.length === 1) return nodes[0]![1];
  return new ShardedStore({ nodes: Object.fromEntries(nodes), ring: { weights }, eject: false });
}

/**
 * Opens the store the global options name and closes it after `use`. `scanFor` names a command that lists
 * keys: memcached cannot, so with `--memcached` that command is a usage error.
 */
export async function withStore<T>(
  g: Globals,
  io: Io,
  use: (store: Store) => Promise<T>,
  scanFor?: string,
): Promise<T> {
  if (g.memcached && scanFor !== undefined)
    usage(io, `${scanFor} lists keys, which memcached cannot do (no SCAN): use --redis or --cluster`);
  const store = g.memcached ? await openMemcached(g, io, g.memcached) : await openRedis(g, io);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * Runs an invalidation through a `Cache` on the same prefix: on Redis with the bus on, so every instance's
 * L1 drops the entries at once; memcached has no bus, so other instances see tag and namespace
 * invalidations within their `syncInterval`, and keep a deleted key's L1 copy until its L1 TTL.
 */
export async function withCache<T>(g: Globals, io: Io, use: (cache: Cache) => Promise<T>): Promise<T> {
  return withStore(g, io, async (store) => {
    const cache = new Cache({ l2: store, l1: false, prefix: g.prefix, bus: store.capabilities.pubsub });
    try {
      return await use(cache);
    } finally {
      await cache.close();
    }
  });
}

/**
 * A plain node-redis client, for the commands that read Redis structures no `Store` exposes (the
 * write-behind streams). It does not reconnect: a CLI call should fail fast, not hang. `RedisStreamJournal`
 * runs on a single Redis only, so with `--cluster` or `--memcached` this is a usage error.
 */
export async function withClient<T>(
  g: Globals,
  io: Io,
  use: (client: RedisClientType) => Promise<T>,
): Promise<T> {
  if (g.cluster || g.memcached)
    usage(io, 'write-behind journals live on a single Redis (RedisStreamJournal): pass --redis');
  const client = createClient({
    url: g.redis,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  }) as unknown as RedisClientType;
  let lastError: unknown;
  client.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await client.connect();
  } catch (err) {
    unreachable(io, g, (err as Error).message ?? String(lastError));
  }
  try {
    return await use(client);
  } finally {
    if (client.isOpen) await client.close();
  }
}
