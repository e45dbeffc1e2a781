/** Injection tokens and metadata keys of `stratacache/nestjs`: strings, so two copies of the module agree. */

/** The injection token of the module's `Cache` (`@Inject(STRATACACHE)`, or `@InjectCache()`). */
export const STRATACACHE = 'stratacache:cache';

/** Internal: the cache and whether the module created it (and so closes it on shutdown). */
export const STRATACACHE_HOLDER = 'stratacache:holder';

export const CACHE_KEY_METADATA = 'stratacache:cache-key';
export const CACHE_TTL_METADATA = 'stratacache:cache-ttl';
export const CACHE_TAGS_METADATA = 'stratacache:cache-tags';
export const INVALIDATE_TAGS_METADATA = 'stratacache:invalidate-tags';
