export {
  StratacacheKeyValueCache,
  type StratacacheKeyValueCacheOptions,
} from './key-value-cache.js';
