export { Cached, type CachedOptions } from './cached.js';
export {
  CacheKey,
  type CacheKeySource,
  CacheTags,
  CacheTTL,
  type HttpRequestLike,
  InjectCache,
  InvalidateTags,
  type TagSource,
} from './decorators.js';
export { type CacheStatus, StratacacheInterceptor } from './interceptor.js';
export {
  StratacacheModule,
  type StratacacheModuleAsyncOptions,
  type StratacacheModuleOptions,
} from './module.js';
export { STRATACACHE } from './tokens.js';
