/**
 * Adapters that give stratacache over Redis and each peer (raw node-redis and ioredis, bentocache with its
 * Redis driver, cache-manager 7 with @keyv/redis) the same call, `getOrSet(key)`, against one private
 * redis-server; plus a probe that reads the server's own counters (commands, key hits, CPU) so every
 * contender's Redis traffic is measured the same way, from the server's side.
 */
import { readFileSync } from 'node:fs';
import KeyvRedis, { createKeyvNonBlocking } from '@keyv/redis';
import { createClient, type RedisClientType } from '@redis/client';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { KeyvCacheableMemory } from 'cacheable';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { Cache, type LoaderContext } from '../../src/cache.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import type { RedisClientLike } from '../../src/stores/redis/redis-transport.js';
import type { GetOrSetPeer, Load } from './peers.js';
import { type Product, product } from './product.js';

export { type Product, product };

/** What every Redis contender is built from. */
export interface RedisPeerOptions<V> {
  /** `redis://127.0.0.1:<port>` of the suite's private server. */
  url: string;
  /** Entry bound of the in-process tier, or `false` for Redis only. */
  l1: number | false;
  /** Time to live of an entry (ms). */
  ttl: number;
  load: Load<V>;
  /** Key prefix in Redis, so contenders sharing a server never read each other's keys. */
  prefix: string;
  /** Called with every error the library reports through its own channel (events, logger). */
  onError: (error: unknown) => void;
}

/** A named way to build a Redis contender. */
export interface RedisPeerSpec {
  name: string;
  /** How it is configured, for the report. */
  setup: string;
  /**
   * Raw clients are the floor of a Redis read (no in-process tier): `'defaults'` as the library ships,
   * `'tuned'` with a non-default setting that makes it faster.
   */
  raw: 'defaults' | 'tuned' | undefined;
  create<V extends object>(options: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>>;
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/**
 * stratacache `Cache` over a `RedisStore` (with `l1: false` when the options ask for Redis only). With
 * `borrowedClient`, the store borrows a node-redis client created with `disableOfflineQueue` and
 * `commandOptions: { timeout: 0 }` (no per-command `AbortSignal.timeout` of node-redis; the store's own
 * `commandTimeoutMs` still bounds every command).
 */
export function stratacache(borrowedClient = false): RedisPeerSpec {
  return {
    name: `stratacache Cache${borrowedClient ? ' (client with commandOptions.timeout 0)' : ''}`,
    setup: borrowedClient
      ? '`new RedisStore({ client: createClient({ url, disableOfflineQueue: true, commandOptions: { timeout: 0 } }) }, { prefix })`, otherwise as above'
      : '`new Cache({ l2: new RedisStore({ url }, { prefix }), l1: false | { maxEntries }, ttl })`, `getOrSet(key, loader)`',
    raw: undefined,
    async create<V extends object>(o: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>> {
      let client: RedisClientType | undefined;
      if (borrowedClient) {
        client = createClient({ url: o.url, disableOfflineQueue: true, commandOptions: { timeout: 0 } });
        client.on('error', o.onError);
        await client.connect();
      }
      const store =
        client === undefined
          ? new RedisStore({ url: o.url }, { prefix: o.prefix })
          : new RedisStore({ client: client as unknown as RedisClientLike }, { prefix: o.prefix });
      await store.ready();
      const cache = new Cache({ l2: store, l1: o.l1 === false ? false : { maxEntries: o.l1 }, ttl: o.ttl });
      cache.on('error', (e) => o.onError(e.error));
      const loader = (ctx: LoaderContext<V>): Promise<V> => o.load(ctx.key);
      return {
        getOrSet: (key) => cache.getOrSet(key, loader),
        close: async () => {
          await cache.close();
          await store.close();
          if (client?.isOpen) await client.close();
        },
      };
    },
  };
}

/**
 * Raw node-redis v6: `GET` + `JSON.parse`, and on a miss the loader plus `SET … PX`. node-redis 6 gives
 * every command a 5 s timeout by default, armed with `AbortSignal.timeout`; `noCommandTimeout` turns it off
 * (`commandOptions: { timeout: 0 }`).
 */
export function nodeRedisRaw(noCommandTimeout = false): RedisPeerSpec {
  return {
    name: `raw @redis/client 6 GET + JSON.parse${noCommandTimeout ? ' (commandOptions.timeout 0)' : ''}`,
    setup: `\`createClient({ url${noCommandTimeout ? ', commandOptions: { timeout: 0 }' : ''} })\` (node-redis pipelines the commands of one tick), \`get(k)\` + \`JSON.parse\``,
    raw: noCommandTimeout ? 'tuned' : 'defaults',
    async create<V extends object>(o: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>> {
      const client: RedisClientType = createClient(
        noCommandTimeout ? { url: o.url, commandOptions: { timeout: 0 } } : { url: o.url },
      );
      client.on('error', o.onError);
      await client.connect();
      return {
        getOrSet: rawReadThrough(
          o,
          (k) => client.get(k),
          (k, json) => client.set(k, json, { PX: o.ttl }),
        ),
        close: async () => {
          await client.close();
        },
      };
    },
  };
}

/** The read-through every raw client runs: `GET` + `JSON.parse`, on a miss the loader and a `SET`. */
function rawReadThrough<V>(
  o: RedisPeerOptions<V>,
  get: (key: string) => Promise<string | null>,
  set: (key: string, json: string) => Promise<unknown>,
): (key: string) => Promise<V> {
  return async (key) => {
    const k = o.prefix + key;
    const raw = await get(k);
    if (raw !== null) return JSON.parse(raw) as V;
    const v = await o.load(key);
    await set(k, JSON.stringify(v));
    return v;
  };
}

/** Raw ioredis 5: `GET` + `JSON.parse`, with or without auto-pipelining. */
export function ioredisRaw(autoPipelining: boolean): RedisPeerSpec {
  return {
    name: `raw ioredis 5 GET + JSON.parse${autoPipelining ? ' (enableAutoPipelining)' : ''}`,
    setup: `\`new Redis({ host, port${autoPipelining ? ', enableAutoPipelining: true' : ''} })\`, \`get(k)\` + \`JSON.parse\``,
    raw: 'defaults',
    async create<V extends object>(o: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>> {
      const client = new Redis({ ...hostPort(o.url), enableAutoPipelining: autoPipelining });
      client.on('error', o.onError);
      await client.ping();
      return {
        getOrSet: rawReadThrough(
          o,
          (k) => client.get(k),
          (k, json) => client.set(k, json, 'PX', o.ttl),
        ),
        close: async () => {
          await client.quit();
        },
      };
    },
  };
}

/** A pino-shaped logger that drops everything but counts errors (bentocache reports L2 failures there). */
function countingLogger(
  onError: (error: unknown) => void,
): NonNullable<ConstructorParameters<typeof BentoCache>[0]['logger']> {
  const noop = (): void => {};
  const logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: (obj: unknown) => onError((obj as { err?: unknown })?.err ?? obj),
    fatal: (obj: unknown) => onError((obj as { err?: unknown })?.err ?? obj),
    child: () => logger,
  };
  return logger;
}

/**
 * bentocache 1.6 with its ioredis driver, behind a memory layer unless the options ask for Redis only.
 * `failFast` gives its ioredis connection fail-fast settings and turns on bentocache's L2 circuit breaker,
 * as a user tuning it for outages would.
 */
export function bentocacheRedis(failFast = false): RedisPeerSpec {
  const connection = failFast
    ? '{ host, port, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 100 }'
    : '{ host, port }';
  return {
    name: `bentocache 1.6${failFast ? ' (fail-fast ioredis, breaker)' : ''}`,
    setup: `\`bentostore()[.useL1Layer(memoryDriver({ maxItems }))].useL2Layer(redisDriver({ connection: ${connection} }))\`${failFast ? ', `l2CircuitBreakerDuration: 500`' : ''}, \`getOrSet({ key, factory, ttl })\``,
    raw: undefined,
    async create<V extends object>(o: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>> {
      const connection = failFast
        ? { ...hostPort(o.url), enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 100 }
        : hostPort(o.url);
      const driver = redisDriver({ connection });
      const store =
        o.l1 === false
          ? bentostore().useL2Layer(driver)
          : bentostore()
              .useL1Layer(memoryDriver({ maxItems: o.l1 }))
              .useL2Layer(driver);
      const cache = new BentoCache({
        default: 'cache',
        prefix: o.prefix.replace(/:$/, ''),
        logger: countingLogger(o.onError),
        ...(failFast ? { l2CircuitBreakerDuration: 500 } : {}),
        stores: { cache: store },
      });
      return {
        getOrSet: (key) => cache.getOrSet<V>({ key, factory: () => o.load(key), ttl: o.ttl }),
        close: () => cache.disconnectAll(),
      };
    },
  };
}

/**
 * cache-manager 7 over a Keyv on @keyv/redis, behind a bounded memory Keyv unless the options ask for
 * Redis only. `nonBlocking` builds the Redis Keyv with @keyv/redis's own `createKeyvNonBlocking` (no
 * offline queue, no reconnect strategy, errors swallowed).
 */
export function cacheManagerRedis(nonBlocking = false): RedisPeerSpec {
  return {
    name: `cache-manager 7 + @keyv/redis${nonBlocking ? ' (createKeyvNonBlocking)' : ''}`,
    setup: `\`createCache({ ttl, stores: [[new Keyv({ store: new KeyvCacheableMemory({ lruSize }) }),] ${nonBlocking ? 'createKeyvNonBlocking(url, { namespace })' : 'new Keyv({ store: new KeyvRedis(url, { namespace }) })'}] })\`, \`wrap(key, fn)\``,
    raw: undefined,
    async create<V extends object>(o: RedisPeerOptions<V>): Promise<GetOrSetPeer<V>> {
      const namespace = o.prefix.replace(/:$/, '');
      const remote = nonBlocking
        ? createKeyvNonBlocking(o.url, { namespace })
        : new Keyv({ store: new KeyvRedis(o.url, { namespace }) });
      remote.on('error', o.onError);
      const stores =
        o.l1 === false ? [remote] : [new Keyv({ store: new KeyvCacheableMemory({ lruSize: o.l1 }) }), remote];
      const cache = createCacheManager({ ttl: o.ttl, stores });
      return {
        getOrSet: (key) => cache.wrap(key, () => o.load(key)),
        close: async () => {
          await cache.disconnect();
        },
      };
    },
  };
}

/** One reading of a server's counters. */
export interface ServerSample {
  /** Commands processed (all kinds). */
  commands: number;
  /** Keys looked up for reading (hits + misses), whatever the command: a GET reads one, an MGET many. */
  keyReads: number;
  /** Successful key lookups. */
  keyspaceHits: number;
  /** Keys in db0. */
  keys: number;
  /** CPU seconds the server process used (user + system), from /proc. */
  cpu: number;
}

/**
 * Reads a redis-server's own counters over a separate connection: `INFO` (commands, key reads and hits,
 * keys) and the process's CPU time from /proc, so every contender's Redis traffic is measured alike.
 */
export class ServerProbe {
  readonly #client: RedisClientType;
  readonly #clockTicks = 100;
  pid: number;

  private constructor(client: RedisClientType, pid: number) {
    this.#client = client;
    this.pid = pid;
  }

  /** Connects to `url` (a probe of a killed server reconnects by itself). */
  static async open(url: string, pid: number): Promise<ServerProbe> {
    const client: RedisClientType = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 20 },
    });
    client.on('error', () => {});
    await client.connect();
    return new ServerProbe(client, pid);
  }

  get ready(): boolean {
    return this.#client.isReady;
  }

  async sample(): Promise<ServerSample> {
    const info = String(await this.#client.sendCommand(['INFO', 'all']));
    const field = (re: RegExp): number => Number(re.exec(info)?.[1] ?? 0);
    return {
      commands: field(/total_commands_processed:(\d+)/),
      keyReads: field(/keyspace_hits:(\d+)/) + field(/keyspace_misses:(\d+)/),
      keyspaceHits: field(/keyspace_hits:(\d+)/),
      keys: field(/db0:keys=(\d+)/),
      cpu: this.#cpu(),
    };
  }

  #cpu(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / this.#clockTicks;
    } catch {
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.#client.isReady) await this.#client.close();
    else this.#client.destroy();
  }
}
