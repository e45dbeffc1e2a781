export {
  Cache,
  type CacheEvents,
  createCache,
  type Loader,
  type LoaderContext,
  type WrapOptions,
} from './cache.js';
export {
  CacheError,
  type CacheErrorCode,
  CircuitOpenError,
  ClosedError,
  DeserializationError,
  errors,
  InvalidKeyError,
  InvalidOptionError,
  isCacheError,
  LoaderTimeoutError,
  ProtocolError,
  SerializationError,
  StoreError,
  StoreTimeoutError,
  ValueTooLargeError,
} from './errors.js';
export type { Clock } from './internal/clock.js';
export { jsonSerializer, type Serializer } from './internal/serializer.js';
export { type Bus, type BusMessage, decodeBusMessage } from './invalidation/bus.js';
export type { CacheStats } from './metrics/stats.js';
export {
  type CacheOptions,
  DEFAULT_CACHE_OPTIONS,
  type GetOptions,
  type GetOrSetOptions,
  type L1Options,
  type LoaderTimeouts,
  type SetOptions,
  type StampedeOptions,
} from './options.js';
export type { DistributedLock, Lease } from './stampede/distributed-lock.js';
export { type EvictionReason, MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.js';
export type { Store, StoreCapabilities, StoreEntry } from './stores/store.js';
