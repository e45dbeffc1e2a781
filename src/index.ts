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
export { type Bus, type BusMessage, decodeBusMessage } from './invalidation/bus.js';
export type { DistributedLock, Lease } from './stampede/distributed-lock.js';
export { type EvictionReason, MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.js';
export type { Store, StoreCapabilities, StoreEntry } from './stores/store.js';
