import { assertKnownKeys, assertTtl, describe } from '../internal/asserts.js';
import { jsonSerializer } from '../serializer/json.js';
import type { Serializer } from '../serializer/serializer.js';
import {
  assertClient,
  assertKey,
  defineLua,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';
import { assertSerializer, decodeWith, encodeWith } from './serialization.js';

/** Per-field serializers of a {@link RedisHash}. */
export type HashFieldSerializers<T> = { [K in keyof T]?: Serializer };

/** Options of {@link RedisHash}. */
export interface RedisHashOptions<T> extends PatternConnectionOptions {
  /** Prepended to every id to form the Redis key (`user:` + `42`). @default '' */
  prefix?: string;
  /** Serializer of every field without its own entry in `fields`. @default jsonSerializer */
  serializer?: Serializer;
  /** Serializers of single fields, e.g. `{ visits: plainNumberSerializer }` to store a plain Redis number. */
  fields?: HashFieldSerializers<T>;
}

/** Options of {@link RedisHash.set}. */
export interface HashSetOptions {
  /** Expiry of the whole object, in ms; without it the object does not expire. */
  ttl?: number;
}

// Writes fields only while the hash exists, so an update never resurrects an expired object as a
// fragment. ARGV holds field/value pairs.
const UPDATE_IF_EXISTS = defineLua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`);

const OPTION_KEYS = ['prefix', 'serializer', 'fields', 'timeout'] as const;

/**
 * Objects stored as Redis hashes, one field per property, each field encoded by its own serializer.
 *
 * `set` replaces the whole object and its TTL **atomically** (DEL + HSET + PEXPIRE in one MULTI);
 * `update`/`updateMany` change fields of an existing object **atomically** and never create one, and keep
 * its TTL. Properties whose value is `undefined` are not stored. Reads return what was stored without
 * schema validation (give a validating serializer for that); a field whose bytes cannot be decoded makes the
 * read reject with a `DeserializationError`.
 *
 * @example
 * ```ts
 * const users = new RedisHash<{ name: string; visits: number }>(client, {
 *   prefix: 'user:',
 *   fields: { visits: plainNumberSerializer },
 * });
 * await users.set('42', { name: 'Ada', visits: 1 }, { ttl: 60_000 });
 * await users.update('42', 'visits', 2);
 * const ada = await users.get('42'); // { name: 'Ada', visits: 2 }
 * ```
 */
export class RedisHash<T extends object> {
  readonly #conn: PatternConnection;
  readonly #prefix: string;
  readonly #serializer: Serializer;
  readonly #fields: HashFieldSerializers<T>;

  constructor(client: RedisPatternClient, options: RedisHashOptions<T> = {}) {
    assertKnownKeys('options', options, OPTION_KEYS);
    const { prefix = '', serializer = jsonSerializer, fields = {}, timeout } = options;
    if (typeof prefix !== 'string')
      throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
    if (typeof fields !== 'object' || fields === null) {
      throw new TypeError(`Expected \`fields\` to be an object of serializers, got ${describe(fields)}`);
    }
    for (const [name, field] of Object.entries(fields)) assertSerializer(`fields.${name}`, field);
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(timeout));
    this.#prefix = prefix;
    this.#serializer = assertSerializer('serializer', serializer);
    this.#fields = fields;
  }

  /** Stores `value` under `id`, replacing any previous object and TTL. */
  async set(id: string, value: T, options: HashSetOptions = {}): Promise<void> {
    const key = this.#key(id);
    assertKnownKeys('options', options, ['ttl']);
    const ttl = options.ttl === undefined ? undefined : assertTtl('ttl', options.ttl);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError(`Expected \`value\` to be a plain object, got ${describe(value)}`);
    }
    const fields = this.#encodeFields(id, value);
    if (fields.length === 0) {
      throw new RangeError(`Expected \`value\` to have at least one defined property (id \`${id}\`)`);
    }
    await this.#conn.run('hash.set', async (c) => {
      const tx = c.multi().del(key).hSet(key, fields);
      if (ttl !== undefined) tx.pExpire(key, ttl);
      await tx.exec();
    });
  }

  /** The object under `id`, or `undefined` when absent or expired. */
  async get(id: string): Promise<T | undefined> {
    const key = this.#key(id);
    const raw = await this.#conn.runBytes('hash.get', (c) => c.hGetAll(key));
    if (raw.size === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (const [rawName, rawValue] of raw) {
      const name = String(rawName);
      // Own data property even for a field named `__proto__`, so stored data never changes the prototype.
      Object.defineProperty(out, name, {
        value: this.#decodeField(id, name, rawValue as Buffer),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }

  /** One field of the object under `id`; `undefined` when the object or the field is absent. */
  async getField<K extends keyof T & string>(id: string, field: K): Promise<T[K] | undefined> {
    const key = this.#key(id);
    assertField(field);
    const raw = await this.#conn.runBytes('hash.getField', (c) => c.hGet(key, field));
    return raw === null || raw === undefined ? undefined : (this.#decodeField(id, field, raw) as T[K]);
  }

  /** Sets one field of an existing object; false (and nothing written) when `id` is absent. */
  async update<K extends keyof T & string>(id: string, field: K, value: T[K]): Promise<boolean> {
    assertField(field);
    return this.updateMany(id, { [field]: value } as unknown as Partial<T>);
  }

  /** Sets several fields of an existing object at once; false (and nothing written) when `id` is absent. */
  async updateMany(id: string, partial: Partial<T>): Promise<boolean> {
    const key = this.#key(id);
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
      throw new TypeError(`Expected \`partial\` to be a plain object, got ${describe(partial)}`);
    }
    const args = this.#encodeFields(id, partial).flat();
    if (args.length === 0) {
      throw new RangeError(`Expected \`partial\` to have at least one defined property (id \`${id}\`)`);
    }
    const reply = await this.#conn.eval('hash.update', UPDATE_IF_EXISTS, [key], args);
    return reply === 1;
  }

  /** Removes the object under `id`; true if it existed. */
  async delete(id: string): Promise<boolean> {
    const key = this.#key(id);
    return (await this.#conn.run('hash.delete', (c) => c.unlink(key))) > 0;
  }

  /** Sets the expiry of the object under `id` to `ttl` ms from now; false if it is absent. */
  async expire(id: string, ttl: number): Promise<boolean> {
    const key = this.#key(id);
    assertTtl('ttl', ttl);
    return (await this.#conn.run('hash.expire', (c) => c.pExpire(key, ttl))) === 1;
  }

  #key(id: string): string {
    return this.#prefix + assertKey('id', id);
  }

  #serializerOf(field: string): Serializer {
    return Object.hasOwn(this.#fields, field)
      ? (this.#fields[field as keyof T] as Serializer)
      : this.#serializer;
  }

  #encodeFields(id: string, value: Partial<T>): Array<[string, Buffer]> {
    const out: Array<[string, Buffer]> = [];
    for (const [field, fieldValue] of Object.entries(value)) {
      if (fieldValue === undefined) continue;
      out.push([field, encodeWith(this.#serializerOf(field), fieldValue, `field \`${field}\` of \`${id}\``)]);
    }
    return out;
  }

  #decodeField(id: string, field: string, raw: Buffer): unknown {
    return decodeWith(this.#serializerOf(field), raw, `field \`${field}\` of \`${id}\``);
  }
}

function assertField(field: unknown): void {
  if (typeof field !== 'string') {
    throw new TypeError(`Expected \`field\` to be a string, got ${describe(field)}`);
  }
}
