export { type StratacacheNextConfig, type WithStratacacheOptions, withStratacache } from './config.js';
export {
  createIncrementalCacheHandler,
  type IncrementalCacheHandler,
  type IncrementalCacheHandlerClass,
} from './incremental-handler.js';
export {
  createNextCache,
  type NextCache,
  type NextCacheOptions,
  type NextRedisOption,
  sharedNextCache,
} from './runtime.js';
export { TagManifest, type TagTimes, type TagVerdict } from './tag-manifest.js';
export type {
  CacheControl,
  IncrementalEntry,
  IncrementalGetContext,
  IncrementalHandlerContext,
  IncrementalSetContext,
  IncrementalValue,
  TagDurations,
  UseCacheEntry,
  UseCacheHandler,
} from './types.js';
export { createUseCacheHandler } from './use-cache-handler.js';
