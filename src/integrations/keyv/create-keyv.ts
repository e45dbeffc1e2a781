import Keyv, { type KeyvOptions } from 'keyv';
import type { Cache } from 'stratacache';
import { KeyvStratacache, type KeyvStratacacheOptions } from './keyv-stratacache.js';

/** Options of {@link createKeyv}: Keyv's own (minus the store and its serializer) and the adapter's. */
export interface CreateKeyvOptions extends Omit<KeyvOptions, 'store' | 'serialize' | 'deserialize'> {
  /** Options of the {@link KeyvStratacache} adapter built for this `Keyv`. */
  adapter?: KeyvStratacacheOptions;
}

/**
 * A `Keyv` 5 over a stratacache `Cache` with Keyv's serializer turned off: Keyv hands the adapter its
 * `{ value, expires }` object and the cache's serializer encodes it once, where a stock `Keyv` would
 * JSON-encode it to a string that the cache then encodes again (and escapes) on its way to L2. L1 then
 * holds the object itself, so a hit costs no decoding.
 *
 * What changes against the default `Keyv`: values reach L2 through the cache's serializer (the default
 * JSON one keeps plain JSON values; pass a `taggedJsonSerializer` to the cache for `Date`, `Map`, `BigInt`,
 * Buffers), and an L1 hit returns the cached object, so **do not mutate what `get` returns**.
 *
 * @example
 * const keyv = createKeyv(cache, { namespace: 'sessions' });
 * await keyv.set('u1', { name: 'Ada' }, 60_000);
 */
export function createKeyv<Value = unknown>(cache: Cache, options: CreateKeyvOptions = {}): Keyv<Value> {
  const { adapter, ...keyvOptions } = options;
  const keyv = new Keyv<Value>({ ...keyvOptions, store: new KeyvStratacache(cache, adapter) });
  // Unset, Keyv skips (de)serialization on writes and passes non-string values through on reads.
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return keyv;
}
