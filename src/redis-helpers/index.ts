/** Typed Redis data-structure patterns over a user's node-redis client (exported from `stratacache/redis`). */
export type { PatternConnectionOptions, RedisPatternClient } from './connection.js';
export { DEFAULT_PATTERN_TIMEOUT_MS } from './connection.js';
export type { RateLimiterOptions, RateLimitMode, RateLimitResult } from './rate-limiter.js';
export { RateLimiter } from './rate-limiter.js';
export type { BatchEntry, RedisBatchOptions } from './redis-batch.js';
export { RedisBatch } from './redis-batch.js';
export type { CappedIncrement, IncrementWithCapOptions, RedisCounterOptions } from './redis-counter.js';
export { RedisCounter } from './redis-counter.js';
export type { HashFieldSerializers, HashSetOptions, RedisHashOptions } from './redis-hash.js';
export { RedisHash } from './redis-hash.js';
export type { MessageHandler, PubSubStats, RedisPubSubOptions, Unsubscribe } from './redis-pub-sub.js';
export { RedisPubSub } from './redis-pub-sub.js';
export type { RedisQueueOptions } from './redis-queue.js';
export { RedisQueue } from './redis-queue.js';
export type { RankedMember, RedisRankingOptions } from './redis-ranking.js';
export { RedisRanking } from './redis-ranking.js';
export { plainNumberSerializer, plainStringSerializer } from './serialization.js';
