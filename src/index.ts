export {
  Cache,
  type CacheEvents,
  createCache,
  type Loader,
  type LoaderContext,
  type WrapOptions,
} from './cache.js';
export { HashRing, type HashRingMode, type HashRingOptions } from './distributed/hash-ring.js';
export {
  type EjectOptions,
  ShardedStore,
  type ShardedStoreEvents,
  type ShardedStoreOptions,
  type ShardNodeStats,
} from './distributed/sharded-store.js';
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
  StoreReplyError,
  StoreTimeoutError,
  ValueTooLargeError,
} from './errors.js';
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
export { jsonSerializer } from './serializer/json.js';
export type { Serializer } from './serializer/serializer.js';
export { taggedJsonSerializer } from './serializer/tagged-json.js';
export { type Bus, type BusMessage, decodeBusMessage } from './stores/bus.js';
export type { DistributedLock, Lease } from './stores/lock.js';
export {
  type EvictionPolicy,
  type EvictionReason,
  MemoryStore,
  type MemoryStoreOptions,
  type MemoryStorePolicyState,
} from './stores/memory/memory-store.js';
export type { Store, StoreCapabilities, StoreEntry } from './stores/store.js';
export type { CachePort } from './strategies/cache-port.js';
export { type ReadThrough, type ReadThroughOptions, readThrough } from './strategies/read-through.js';
export type { RetryOptions } from './strategies/write-behind/backoff.js';
export { closeOnSignal } from './strategies/write-behind/close-on-signal.js';
export type {
  JournalEvents,
  JournalLoss,
  JournalRecord,
  WriteJournal,
} from './strategies/write-behind/journal.js';
export {
  type DeadLetter,
  type WriteBatchInfo,
  type WriteBehind,
  type WriteBehindEvents,
  type WriteBehindOptions,
  WriteBehindQueue,
  type WriteBehindStats,
  writeBehind,
} from './strategies/write-behind/write-behind-queue.js';
export {
  type WriteThrough,
  type WriteThroughEvents,
  type WriteThroughOptions,
  writeThrough,
} from './strategies/write-through.js';
export {
  type CacheTraceContext,
  type StaleReason,
  TRACE_CHANNELS,
  type TracedOperation,
} from './tracing/channels.js';
export type { Clock } from './ttl/clock.js';
