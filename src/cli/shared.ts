import { createClient, type RedisClientType } from '@redis/client';
import { InvalidArgumentError } from 'commander';
import { Cache } from '../cache.js';
import { RedisClusterStore } from '../stores/redis/redis-cluster-store.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import type { RedisStoreBase } from '../stores/redis/redis-store-base.js';

/**
 * Exit codes scripts can rely on (documented in docs/observability.md; the first version of the CLI
 * shipped these numbers, so they stay).
 */
export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3, unreadable: 4 } as const;

/** The options every command sees. */
export interface Globals {
  redis: string;
  /** Seed node URLs of a Redis Cluster, comma-separated; when set, `redis` is not used. */
  cluster?: string;
  prefix: string;
  storePrefix: string;
  json: boolean;
}

/** Where output goes (a test passes its own). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Thrown by a command to end with an exit code (its message was already printed). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const CONNECT_TIMEOUT_MS = 3_000;

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

/** What the error messages call the server: the URL, or the cluster's seed nodes. */
const target = (g: Globals): string => (g.cluster ? `Redis Cluster at ${g.cluster}` : `Redis at ${g.redis}`);

/** Opens the store of `--redis` (a `RedisStore`) or `--cluster` (a `RedisClusterStore`), bounded. */
export async function withStore<T>(
  g: Globals,
  io: Io,
  use: (store: RedisStoreBase) => Promise<T>,
): Promise<T> {
  const options = { prefix: g.storePrefix };
  const store: RedisStoreBase = g.cluster
    ? new RedisClusterStore({ rootNodes: clusterSeeds(io, g.cluster) }, options)
    : new RedisStore({ url: g.redis }, options);
  try {
    await store.ready({ timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    await store.close();
    io.err(`cannot reach ${target(g)}: ${(err as Error).message}`);
    throw new Exit(EXIT.unreachable);
  }
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Runs an invalidation through a `Cache` with the bus on, so every instance's L1 drops the entries too. */
export async function withCache<T>(g: Globals, io: Io, use: (cache: Cache) => Promise<T>): Promise<T> {
  return withStore(g, io, async (store) => {
    const cache = new Cache({ l2: store, l1: false, prefix: g.prefix, bus: true });
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
 * runs on a single Redis only, so with `--cluster` this is a usage error.
 */
export async function withClient<T>(
  g: Globals,
  io: Io,
  use: (client: RedisClientType) => Promise<T>,
): Promise<T> {
  if (g.cluster)
    usage(
      io,
      'write-behind journals live on a single Redis (RedisStreamJournal): pass --redis, not --cluster',
    );
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
    io.err(`cannot reach ${target(g)}: ${(err as Error).message ?? String(lastError)}`);
    throw new Exit(EXIT.unreachable);
  }
  try {
    return await use(client);
  } finally {
    if (client.isOpen) await client.close();
  }
}

export function print(io: Io, g: Globals, json: unknown, text: string): void {
  io.out(g.json ? JSON.stringify(json) : text);
}

export function usage(io: Io, message: string): never {
  io.err(`error: ${message}`);
  throw new Exit(EXIT.usage);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const ms = (x: number): string => `${x.toFixed(3)}ms`;

/** Parses a positive integer option (commander hands strings over). */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
    return n;
  };
}
