export {
  type BatchEntry,
  type CappedIncrement,
  DEFAULT_PATTERN_TIMEOUT_MS,
  type HashFieldSerializers,
  type HashSetOptions,
  type IncrementWithCapOptions,
  type MessageHandler,
  type PatternConnectionOptions,
  type PubSubStats,
  plainNumberSerializer,
  plainStringSerializer,
  type RankedMember,
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitMode,
  type RateLimitResult,
  RedisBatch,
  type RedisBatchOptions,
  RedisCounter,
  type RedisCounterOptions,
  RedisHash,
  type RedisHashOptions,
  type RedisPatternClient,
  RedisPubSub,
  type RedisPubSubOptions,
  RedisQueue,
  type RedisQueueOptions,
  RedisRanking,
  type RedisRankingOptions,
  type Unsubscribe,
} from '../../redis-helpers/index.js';
export {
  RedisStreamJournal,
  type RedisStreamJournalOptions,
} from '../../strategies/write-behind/redis-stream-journal.js';
export type { RedisClusterLike } from './cluster-transport.js';
export type { IoredisLike } from './ioredis-transport.js';
export type { RedisBus, RedisBusStats } from './redis-bus.js';
export { RedisClusterStore, type RedisClusterStoreConnection } from './redis-cluster-store.js';
export type { RedisLock } from './redis-lock.js';
export { RedisSentinelStore, type RedisSentinelStoreConnection } from './redis-sentinel-store.js';
export { RedisStore, type RedisStoreConnection } from './redis-store.js';
export type { RedisStoreBase, RedisStoreOptions, RedisStoreStats } from './redis-store-base.js';
export type { RedisClientLike } from './redis-transport.js';
export type { RedisNodeAddress } from './sentinel-discovery.js';
