import { createClient, type RedisClientType } from '@redis/client';
import { InvalidArgumentError } from 'commander';
import { Cache } from '../cache.js';
import { RedisStore } from '../stores/redis/redis-store.js';

/**
 * Exit codes scripts can rely on (documented in docs/observability.md; the first version of the CLI
 * shipped these numbers, so they stay).
 */
export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3, unreadable: 4 } as const;

/** The options every command sees. */
export interface Globals {
  redis: string;
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

export async function withStore<T>(g: Globals, io: Io, use: (store: RedisStore) => Promise<T>): Promise<T> {
  const store = new RedisStore({ url: g.redis }, { prefix: g.storePrefix });
  try {
    await store.ready({ timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    await store.close();
    io.err(`cannot reach Redis at ${g.redis}: ${(err as Error).message}`);
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
 * write-behind streams). It does not reconnect: a CLI call should fail fast, not hang.
 */
export async function withClient<T>(
  g: Globals,
  io: Io,
  use: (client: RedisClientType) => Promise<T>,
): Promise<T> {
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
    io.err(`cannot reach Redis at ${g.redis}: ${(err as Error).message ?? String(lastError)}`);
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
