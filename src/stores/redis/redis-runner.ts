import type { RedisArgument } from '@redis/client';
import type { LuaScript } from './lua-scripts.js';
import type { RedisClientLike } from './redis-transport.js';

/** What the bus and the lock use of their store: prefixed commands with timeouts and subscribers. */
export interface RedisRunner {
  readonly name: string;
  readonly prefix: string;
  readonly lockPollMs: number;
  readonly fenceTtlMs: number;
  readonly connectTimeoutMs: number;
  readonly subscriberPingMs: number;
  /** See `RedisTransport.redialSubscribers`. */
  readonly redialSubscribers: boolean;
  command(op: string, key: string | undefined, args: readonly RedisArgument[]): Promise<unknown>;
  script(
    op: string,
    script: LuaScript,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<unknown>;
  subscriber(attempt: number): Promise<RedisClientLike>;
  reportError(err: unknown): void;
}
