/**
 * The module `withStratacache` names as `cacheHandler`: an incremental handler configured from the
 * environment (`STRATACACHE_REDIS_URL` or `REDIS_URL`). Next imports it by path in each server process.
 */
import { createIncrementalCacheHandler } from 'stratacache/next';

export default createIncrementalCacheHandler();
