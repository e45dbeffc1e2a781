import { assertKnownKeys, assertTtl, describe } from '../internal/asserts.js';
import { jsonSerializer } from '../serializer/json.js';
import type { Serializer } from '../serializer/serializer.js';
import {
  assertClient,
  assertKey,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';
import { assertSerializer, decodeWith, encodeWith } from './serialization.js';

/** Options of {@link RedisBatch}. */
export interface RedisBatchOptions extends PatternConnectionOptions {
  /** Prepended to every key. @default '' */
  prefix?: string;
  /** @default jsonSerializer */
  serializer?: Serializer;
}

/** One entry of {@link RedisBatch.batchSet}. */
export interface BatchEntry<T> {
  key: string;
  value: T;
  /** Expiry in ms; without it the key does not expire. */
  ttl?: number;
}

/**
 * Typed multi-key reads and writes in one round trip.
 *
 * On a standalone client each call is **one pipeline** (not a transaction: other clients' commands may
 * interleave). On a cluster the keys usually live on several masters, so the commands are sent together
 * and node-redis pipelines them per master. `batchSet` encodes every value before sending anything, so a
 * value that cannot be serialized writes nothing; a stored value that cannot be decoded makes `batchGet`
 * reject with a `DeserializationError` naming its key.
 *
 * @example
 * ```ts
 * const prices = new RedisBatch<number>(client, { prefix: 'price:' });
 * await prices.batchSet([{ key: 'a', value: 1.5 }, { key: 'b', value: 2, ttl: 60_000 }]);
 * await prices.batchGet(['a', 'b', 'c']); // [1.5, 2, undefined]
 * ```
 */
export class RedisBatch<T> {
  readonly #conn: PatternConnection;
  readonly #prefix: string;
  readonly #serializer: Serializer;

  constructor(client: RedisPatternClient, options: RedisBatchOptions = {}) {
    assertKnownKeys('options', options, ['prefix', 'serializer', 'timeout']);
    const { prefix = '', serializer = jsonSerializer, timeout } = options;
    if (typeof prefix !== 'string')
      throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
    this.#prefix = prefix;
    this.#serializer = assertSerializer('serializer', serializer);
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
  }

  /** The value under each key, in key order; `undefined` for a missing key. */
  async batchGet(keys: readonly string[]): Promise<Array<T | undefined>> {
    if (!Array.isArray(keys)) throw new TypeError(`Expected \`keys\` to be an array, got ${describe(keys)}`);
    const full = keys.map((key) => this.#prefix + assertKey('key', key));
    if (full.length === 0) return [];
    const replies = await this.#conn.runBytes('batch.get', async (c) => {
      if (this.#conn.isCluster) return Promise.all(full.map((key) => c.get(key)));
      const pipeline = c.multi();
      for (const key of full) pipeline.get(key);
      return pipeline.execAsPipeline();
    });
    return replies.map((raw, i) =>
      raw === null || raw === undefined
        ? undefined
        : (decodeWith(this.#serializer, raw as Buffer, `the value under \`${full[i]}\``) as T),
    );
  }

  /** Stores every entry (not atomically across keys). */
  async batchSet(entries: ReadonlyArray<BatchEntry<T>>): Promise<void> {
    if (!Array.isArray(entries)) {
      throw new TypeError(`Expected \`entries\` to be an array, got ${describe(entries)}`);
    }
    const writes = entries.map((entry, i) => {
      if (typeof entry !== 'object' || entry === null) {
        throw new TypeError(`Expected \`entries[${i}]\` to be { key, value, ttl? }, got ${describe(entry)}`);
      }
      assertKnownKeys(`entries[${i}]`, entry, ['key', 'value', 'ttl']);
      const key = this.#prefix + assertKey(`entries[${i}].key`, entry.key);
      const ttl = entry.ttl === undefined ? undefined : assertTtl(`entries[${i}].ttl`, entry.ttl);
      const raw = encodeWith(this.#serializer, entry.value, `the value for \`${key}\``);
      return {
        key,
        raw,
        options: ttl === undefined ? undefined : { expiration: { type: 'PX' as const, value: ttl } },
      };
    });
    if (writes.length === 0) return;
    await this.#conn.run('batch.set', async (c) => {
      if (this.#conn.isCluster) {
        await Promise.all(writes.map((w) => c.set(w.key, w.raw, w.options)));
        return;
      }
      const pipeline = c.multi();
      for (const w of writes) pipeline.set(w.key, w.raw, w.options);
      await pipeline.execAsPipeline();
    });
  }
}
