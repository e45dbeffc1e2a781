import { createHash } from 'node:crypto';
import { RESP_TYPES, type RedisArgument, type RedisClientType } from '@redis/client';
import { InvalidKeyError, isCacheError, StoreError, StoreTimeoutError } from '../errors.js';
import { assertTtl, describe } from '../internal/asserts.js';

/**
 * A connected node-redis v6 client (`createClient()`) or cluster client (`createCluster()`), with any
 * modules, scripts, RESP version or type mapping.
 *
 * The patterns read replies with node-redis' default type mapping whatever the client was configured
 * with, and never close the client they are given.
 */
export interface RedisPatternClient {
  withTypeMapping(typeMapping: Record<never, never>): unknown;
  duplicate(): unknown;
  readonly isOpen: boolean;
}

/** Options every pattern accepts. */
export interface PatternConnectionOptions {
  /**
   * Bound of every call, in ms: a call that gets no reply by then rejects with a `StoreTimeoutError`
   * (the command may still have been applied by the server).
   * @default 1000
   */
  timeout?: number;
}

/** Default per-call bound of the patterns, in ms. */
export const DEFAULT_PATTERN_TIMEOUT_MS = 1000;

/**
 * The typed command surface the patterns use. A cluster client exposes the same per-key command methods
 * (each routed by its key) and a `multi()` routed by the first key, so both are driven through this type.
 */
export type Commands = RedisClientType;

/**
 * Reads bulk strings as Buffers (the view for values written by a serializer) and maps as `Map`s (so a
 * hash field named `__proto__` stays a field).
 */
export const BYTES_MAPPING = Object.freeze({ [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.MAP]: Map });

/** {@link Commands} whose bulk-string replies are Buffers. */
export type BytesCommands = RedisClientType<{}, {}, {}, 3, typeof BYTES_MAPPING>;

interface SendsOnClient {
  sendCommand(args: readonly RedisArgument[], options?: object): Promise<unknown>;
}
interface SendsOnCluster {
  sendCommand(
    firstKey: RedisArgument | undefined,
    isReadonly: boolean | undefined,
    args: readonly RedisArgument[],
    options?: object,
  ): Promise<unknown>;
}
interface Closable {
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

/** A Lua script run by EVALSHA, falling back to EVAL (which caches it on the server) on NOSCRIPT. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Defines a Lua script; scripts read their input from KEYS/ARGV only, never from spliced strings. */
export function defineLua(source: string): LuaScript {
  return Object.freeze({ source, sha1: createHash('sha1').update(source).digest('hex') });
}

/** True for a node-redis cluster client (it has `masters`; a standalone client does not). */
function isClusterClient(client: RedisPatternClient): boolean {
  return 'masters' in client;
}

/** Wraps anything a Redis call rejected with into a {@link StoreError} naming the operation. */
export function toStoreError(operation: string, err: unknown): Error {
  if (isCacheError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(`Redis \`${operation}\` failed: ${message}`, { cause: err });
}

/** Validates a key, id, member or channel name: a non-empty string. */
export function assertKey(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidKeyError(`Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** Validates the `client` argument of a pattern's constructor. */
export function assertClient(value: unknown): RedisPatternClient {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as RedisPatternClient).withTypeMapping !== 'function' ||
    typeof (value as RedisPatternClient).duplicate !== 'function'
  ) {
    throw new TypeError(
      `Expected \`client\` to be a node-redis client or cluster client, got ${describe(value)}`,
    );
  }
  return value as RedisPatternClient;
}

/**
 * Runs pattern commands on a user's client: bounded waits, errors mapped to `StoreError`, scripts by
 * EVALSHA, and dedicated connections (blocking pops, subscribers) duplicated from the client.
 */
export class PatternConnection {
  readonly commands: Commands;
  readonly bytes: BytesCommands;
  readonly isCluster: boolean;
  readonly timeoutMs: number;
  readonly #client: RedisPatternClient;

  constructor(client: RedisPatternClient, timeoutMs: number) {
    this.#client = client;
    this.isCluster = isClusterClient(client);
    this.timeoutMs = timeoutMs;
    // One place where the loose public type meets node-redis' generics: with the default type mapping
    // forced, a standalone or cluster client answers every per-key command like a default client.
    this.commands = client.withTypeMapping({}) as Commands;
    this.bytes = client.withTypeMapping(BYTES_MAPPING) as BytesCommands;
  }

  /** Runs `work`; rejects with `StoreTimeoutError` after `timeoutMs` and with `StoreError` on failure. */
  async run<T>(operation: string, work: (commands: Commands) => Promise<T>, timeoutMs = this.timeoutMs) {
    return bounded(operation, () => work(this.commands), timeoutMs);
  }

  /** Like {@link run}, on the view whose bulk-string replies are Buffers. */
  async runBytes<T>(operation: string, work: (bytes: BytesCommands) => Promise<T>) {
    return bounded(operation, () => work(this.bytes), this.timeoutMs);
  }

  /** Runs a script with EVALSHA, and with EVAL when the server does not have it cached (NOSCRIPT). */
  async eval(operation: string, script: LuaScript, keys: readonly string[], args: readonly RedisArgument[]) {
    const tail = [String(keys.length), ...keys, ...args];
    return bounded(
      operation,
      async () => {
        try {
          return await this.#send(keys[0], ['EVALSHA', script.sha1, ...tail]);
        } catch (err) {
          if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
          return this.#send(keys[0], ['EVAL', script.source, ...tail]);
        }
      },
      this.timeoutMs,
    );
  }

  /**
   * Opens a new connection with the client's options (a new cluster client for a cluster), for commands
   * that must not share the user's connection: blocking pops, subscriptions. Its `error` events go to
   * `onError`, so they never crash the process; the caller destroys it.
   */
  async openDedicated<T>(operation: string, onError: (err: unknown) => void): Promise<T & Closable> {
    const dup = this.#client.duplicate() as T & Closable;
    dup.on('error', onError);
    try {
      await bounded(operation, () => dup.connect(), this.timeoutMs);
    } catch (err) {
      dup.destroy();
      throw err;
    }
    return dup;
  }

  #send(firstKey: string | undefined, args: readonly RedisArgument[]): Promise<unknown> {
    const options = { typeMapping: {} };
    return this.isCluster
      ? (this.#client as unknown as SendsOnCluster).sendCommand(firstKey, false, args, options)
      : (this.#client as unknown as SendsOnClient).sendCommand(args, options);
  }
}

/** Runs `work` under a deadline; late rejections of `work` are absorbed, never left unhandled. */
export async function bounded<T>(operation: string, work: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const pending = Promise.resolve().then(work);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(operation, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } catch (err) {
    throw toStoreError(operation, err);
  } finally {
    clearTimeout(timer);
    pending.catch(() => undefined);
  }
}

/** Resolves the shared `timeout` option. */
export function resolveTimeout(value: number | undefined): number {
  return value === undefined ? DEFAULT_PATTERN_TIMEOUT_MS : assertTtl('timeout', value);
}
