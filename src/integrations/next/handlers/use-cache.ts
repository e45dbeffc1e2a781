/**
 * The module `withStratacache` names as `cacheHandlers.default` and `.remote`: a `'use cache'` handler
 * configured from the environment (`STRATACACHE_REDIS_URL` or `REDIS_URL`).
 */
import { createUseCacheHandler } from 'stratacache/next';

export default createUseCacheHandler();
